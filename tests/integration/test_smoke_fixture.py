from registry.choices import AssetStatus


def test_registered_fixture_reaches_registered(registered):
    # given / when: the fixture chain  # then
    assert registered.status == AssetStatus.REGISTERED
    assert registered.valid_from.isoformat() == "2026-06-09"
    assert registered.valid_until.isoformat() == "2029-06-08"
