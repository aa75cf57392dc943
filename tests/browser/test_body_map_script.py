"""The body map's script in a real browser: clicks, keys and checkboxes stay in step."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

pytestmark = pytest.mark.browser


@pytest.fixture
def map_page(browser):
    """A page holding an input map inside a form, with the component's script and styles."""
    static = Path(settings.BASE_DIR) / "static"
    html = Template(
        '{% load body_map %}{% body_map mode="input" name="pain_zones" selected=selected '
        'id_prefix="t" %}'
    ).render(Context({"selected": ["shin:left"]}))
    context = browser.new_context(viewport={"width": 1280, "height": 1200})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/*", lambda route: route.abort())  # the page's own asset links go nowhere
    page.set_content(f"<!doctype html><main><form>{html}</form></main>")
    page.add_style_tag(content=(static / "css" / "body_map.css").read_text())
    page.add_script_tag(content=(static / "js" / "body_map.js").read_text())
    page.evaluate(
        "window.changes = [];"
        "document.addEventListener('bodymap:change', e => window.changes.push(e.detail));"
    )
    yield page
    context.close()
    assert errors == []


def test_clicking_a_shape_ticks_its_checkbox_and_reports_the_change(map_page):
    shape = map_page.locator('.bm-zones [data-zone="calf"][data-side="right"]')
    box = map_page.locator('input[value="calf:right"]')
    shape.click()
    assert box.is_checked()
    assert shape.get_attribute("aria-checked") == "true"
    assert "is-selected" in shape.get_attribute("class")
    assert map_page.evaluate("window.changes") == [
        {"zone": "calf", "side": "right", "checked": True}
    ]
    form = map_page.evaluate(
        "[...new FormData(document.querySelector('form')).getAll('pain_zones')]"
    )
    assert form == ["shin:left", "calf:right"]


def test_enter_and_space_toggle_a_focused_shape(map_page):
    shape = map_page.locator('.bm-zones [data-zone="shin"][data-side="left"]')
    shape.focus()
    map_page.keyboard.press("Enter")
    assert not map_page.locator('input[value="shin:left"]').is_checked()
    assert shape.get_attribute("aria-checked") == "false"
    map_page.keyboard.press(" ")
    assert map_page.locator('input[value="shin:left"]').is_checked()
    assert map_page.evaluate("window.scrollY") == 0  # Space toggled, it did not scroll


def test_ticking_a_checkbox_highlights_its_shape(map_page):
    map_page.locator('input[value="sacrum:both"]').check()
    shape = map_page.locator('.bm-zones [data-zone="sacrum"]')
    assert "is-selected" in shape.get_attribute("class")
    assert shape.get_attribute("aria-checked") == "true"
    assert map_page.evaluate("window.changes") == [
        {"zone": "sacrum", "side": "both", "checked": True}
    ]
