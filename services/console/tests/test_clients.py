"""Service error answers become messages next to the form fields they concern."""

from __future__ import annotations

from services.console.clients import error_from_detail, field_name


def test_a_validation_error_is_keyed_by_the_form_field_name() -> None:
    error = error_from_detail(
        "reception",
        422,
        [
            {"loc": ["body", "vehicle", "vin"], "msg": "Value error, bad check digit", "type": "x"},
            {"loc": ["body", "lines", 0, "code"], "msg": "Field required", "type": "missing"},
        ],
    )
    assert error.fields == {"vehicle.vin": "bad check digit", "lines.0.code": "Field required"}
    assert error.messages == []


def test_a_domain_error_without_a_field_is_a_general_message() -> None:
    error = error_from_detail("reception", 409, [{"msg": "order is open", "type": "conflict"}])
    assert error.messages == ["order is open"] and error.fields == {}
    assert error_from_detail("workshop", 403, "role x may not").messages == ["role x may not"]


def test_field_names_drop_the_request_part() -> None:
    assert field_name(["body", "customer_accepted"]) == "customer_accepted"
    assert field_name(["query", "limit"]) == "limit"
    assert field_name([]) == ""
