import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from knowledge.management.commands.suggest import Command

pytestmark = pytest.mark.django_db

INTAKE = {
    "pain": [
        {"zone": "posterior-knee", "side": "left", "intensity": 6},
        {"zone": "calf", "side": "left", "intensity": 4},
    ],
    "factors": ["night-cramps"],
    "red_flags": ["clot-history", "calf-swelling-redness-warmth"],
}


def run(*args, stdin: str | None = None) -> dict:
    out = io.StringIO()
    call_command("suggest", *args, stdin=io.StringIO(stdin or ""), stdout=out)
    return json.loads(out.getvalue())


def failure(*args, stdin: str = "") -> CommandError:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("suggest", *args, stdin=io.StringIO(stdin), stdout=out)
    assert out.getvalue() == ""  # nothing half-printed
    return caught.value


def test_reads_stdin_and_prints_suggestions_and_alerts():
    result = run(stdin=json.dumps(INTAKE))

    assert set(result) == {"suggestions", "alerts"}
    first = result["suggestions"][0]
    assert first["muscle"] == "gastrocnemius"
    assert first["name"] == "Gastrocnemius"
    assert 0 <= first["score"] <= 1
    assert first["zones"] == ["posterior-knee", "calf"]
    assert "essential referral zone: posterior knee" in first["reasons"]
    assert "symptom: night cramps" in first["reasons"]
    assert {"muscle", "name", "score", "zones", "reasons"} <= set(first)
    assert [alert["flag"] for alert in result["alerts"]] == [
        "calf-swelling-redness-warmth",
        "clot-history",
    ]
    assert {alert["level"] for alert in result["alerts"]} == {"refer"}
    assert set(result["alerts"][0]) == {"flag", "level", "message"}


def test_reads_a_file(tmp_path):
    path = tmp_path / "intake.json"
    path.write_text(json.dumps(INTAKE), encoding="utf-8")

    assert run(str(path)) == run(stdin=json.dumps(INTAKE))


def test_prints_at_most_ten_by_default_and_limit_n_with_limit():
    many = json.dumps({"pain": [{"zone": "ball-of-foot"}, {"zone": "calf"}]})

    assert len(run(stdin=many)["suggestions"]) == 10
    assert len(run("--limit", "2", stdin=many)["suggestions"]) == 2


def test_output_is_indented_json(tmp_path):
    out = io.StringIO()
    call_command("suggest", stdin=io.StringIO("{}"), stdout=out)

    assert out.getvalue() == '{\n  "suggestions": [],\n  "alerts": []\n}\n'


def test_malformed_json_exits_2_naming_the_place():
    error = failure(stdin='{"pain": [}')

    assert error.returncode == 2
    assert "malformed JSON at line 1, column 11" in str(error)


def test_an_unknown_zone_exits_2_naming_it_and_the_closest_zones():
    error = failure(stdin='{"pain": [{"zone": "posterior-knea"}]}')

    assert error.returncode == 2
    assert '"posterior-knea"' in str(error)
    assert "closest: posterior-knee" in str(error)


def test_an_unknown_factor_exits_2_naming_it():
    error = failure(stdin='{"factors": ["night-cramp"]}')

    assert error.returncode == 2
    assert 'unknown factor "night-cramp"' in str(error)
    assert "night-cramps" in str(error)


def test_an_intensity_outside_0_to_10_exits_2():
    error = failure(stdin='{"pain": [{"zone": "calf", "intensity": 11}]}')

    assert error.returncode == 2
    assert "intensity 11 is outside 0-10" in str(error)


def test_a_zone_given_twice_for_one_side_exits_2():
    error = failure(
        stdin='{"pain": [{"zone": "calf", "side": "left"}, {"zone": "calf", "side": "left"}]}'
    )

    assert error.returncode == 2
    assert "zone 'calf' is given twice for the left side" in str(error)


def test_a_missing_file_exits_2_with_a_clear_message(tmp_path):
    error = failure(str(tmp_path / "nope.json"))

    assert error.returncode == 2
    assert "cannot read" in str(error)
    assert "nope.json" in str(error)
    assert "No such file" in str(error)


def test_limit_must_be_a_positive_integer():
    for value in ("0", "-3", "ten"):
        with pytest.raises(CommandError, match="--limit"):
            call_command("suggest", "--limit", value, stdin=io.StringIO("{}"))


@pytest.fixture
def command_line(monkeypatch, capsys):
    """Run the command as `manage.py suggest ...` would, in this process and transaction."""
    # run_from_argv closes the connections when done, which would end the test's transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run_from_argv(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            Command().run_from_argv(["manage.py", "suggest", *args])
            status = 0
        except SystemExit as exit_:
            status = exit_.code
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run_from_argv


def test_on_the_command_line_success_exits_0_with_json_on_stdout(command_line):
    status, out, err = command_line(stdin=json.dumps(INTAKE))

    assert status == 0
    assert json.loads(out)["suggestions"][0]["muscle"] == "gastrocnemius"
    assert err == ""


def test_on_the_command_line_bad_input_exits_2_with_the_error_on_stderr(command_line):
    status, out, err = command_line(stdin='{"pain": [{"zone": "knee"}]}')

    assert status == 2
    assert out == ""
    assert 'unknown zone "knee"' in err


def test_on_the_command_line_a_bad_limit_exits_2(command_line):
    status, out, err = command_line("--limit", "0", stdin="{}")

    assert status == 2
    assert out == ""
    assert "must be 1 or more" in err
