"""Base of every API input schema: unknown fields are refused (no mass assignment) and text
is stripped, so a caller can only set what the schema names."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
