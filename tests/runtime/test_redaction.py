"""One redactor masks every secret we know and every secret-shaped field we do not."""
from __future__ import annotations

from element_studio.runtime.redaction import Redactor


def test_registered_values_and_secret_shaped_fields_are_masked():
    redactor = Redactor()
    redactor.add("abcd", "abcdef-long-secret", None, "xy")
    text = "secret abcdef-long-secret, short xy, ws://h/connect?ticket=T-123&x=1 accessToken: tok-9 Authorization: Bearer sk-zzz"
    assert redactor.redact(text) == "secret ***, short xy, ws://h/connect?ticket=***&x=1 accessToken: *** Authorization: Bearer ***"


def test_the_known_set_is_bounded_and_forgets_the_oldest():
    redactor = Redactor(capacity=3)
    redactor.add("first-secret", "second-secret", "third-secret", "fourth-secret")
    assert redactor.redact("first-secret fourth-secret") == "first-secret ***"


def test_a_password_inside_a_url_is_masked():
    assert Redactor().redact("proxy socks5://bob:pa55word@10.0.0.1:1080 and http://host/x@y") == "proxy socks5://bob:***@10.0.0.1:1080 and http://host/x@y"


def test_among_thousands_of_values_each_is_masked_the_longest_first():
    redactor = Redactor()
    redactor.add(*(f"token-{n:05d}-value" for n in range(3000)), "abcd", "abcdefgh")
    text = "a token-02999-value, token-00000-valued and abcdefghij, token-99999-value"
    assert redactor.redact(text) == "a ***, ***d and ***ij, token-99999-value"
