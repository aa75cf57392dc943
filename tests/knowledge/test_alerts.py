import pytest

from knowledge.alerts import Alert, UnknownRedFlagError, alerts_for
from knowledge.models import RedFlag

pytestmark = pytest.mark.django_db


def levels(alerts) -> dict[str, str]:
    return {alert.flag: alert.level for alert in alerts}


def test_no_red_flags_give_no_alerts():
    assert alerts_for([]) == []


def test_each_flag_gives_an_alert_at_its_level_with_its_message():
    (alert,) = alerts_for(["anticoagulants"])

    flag = RedFlag.objects.get(slug="anticoagulants")
    assert alert == Alert(flag="anticoagulants", level="caution", message=flag.message)
    assert alert.as_dict() == {
        "flag": "anticoagulants",
        "level": "caution",
        "message": flag.message,
    }


def test_recent_surgery_alone_is_caution():
    assert levels(alerts_for(["recent-surgery-immobilisation"])) == {
        "recent-surgery-immobilisation": "caution"
    }


@pytest.mark.parametrize(
    ("flag", "why"),
    [
        ("recent-surgery-immobilisation", "after recent surgery"),
        ("clot-history", "history of blood clots"),
    ],
)
def test_calf_signs_with_surgery_or_a_clot_history_refer_and_say_why(flag, why):
    alerts = alerts_for([flag, "calf-swelling-redness-warmth"])

    assert levels(alerts) == {"calf-swelling-redness-warmth": "refer", flag: "refer"}
    combined = next(alert for alert in alerts if alert.flag == flag)
    assert why in combined.message
    assert "deep vein thrombosis" in combined.message
    assert "refer" in combined.message


def test_calf_signs_do_not_raise_other_caution_flags():
    alerts = alerts_for(["calf-swelling-redness-warmth", "anticoagulants"])

    assert levels(alerts)["anticoagulants"] == "caution"


def test_alerts_come_refer_then_caution_then_local_then_in_form_order():
    alerts = alerts_for(
        [
            "skin-wound-infection",
            "pregnancy",
            "varicose-veins",
            "fever-unwell",
            "anticoagulants",
            "calf-swelling-redness-warmth",
        ]
    )

    assert [alert.flag for alert in alerts] == [
        "calf-swelling-redness-warmth",
        "fever-unwell",
        "anticoagulants",
        "pregnancy",
        "varicose-veins",
        "skin-wound-infection",
    ]


def test_a_flag_given_twice_gives_one_alert():
    assert len(alerts_for(["pregnancy", "pregnancy"])) == 1


def test_an_unknown_flag_is_refused_not_dropped():
    with pytest.raises(UnknownRedFlagError, match="'fever'"):
        alerts_for(["fever"])


def test_an_admin_edit_to_a_message_shows_at_once():
    RedFlag.objects.filter(slug="pregnancy").update(message="Ask about the trimester.")

    assert alerts_for(["pregnancy"])[0].message == "Ask about the trimester."


def test_alerts_cost_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        alerts_for(["pregnancy", "clot-history", "calf-swelling-redness-warmth"])
