from paas import naming


def test_names_carry_the_namespace(settings):
    settings.BERTH_NAMESPACE = "prod"
    assert naming.app_service("shop") == "prod-app-shop"
    assert naming.labels("app", **{naming.APP_LABEL: "shop"}) == {
        "berth.namespace": "prod",
        "berth.kind": "app",
        "berth.app": "shop",
    }


def test_long_names_are_shortened_to_a_dns_label_and_stay_distinct(settings):
    settings.BERTH_NAMESPACE = "berth"
    first = naming.app_service("a" * 63)
    second = naming.app_service("a" * 62 + "b")
    assert len(first) <= 63
    assert len(second) <= 63
    assert first != second
