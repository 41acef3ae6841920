"""Password strength rule for accounts (length, character classes, no phone, not common)."""

from __future__ import annotations

from backend.errors import DomainError, ErrorCode
from backend.identity.phone import normalize_phone

__all__ = [
    "COMMON_PASSWORDS",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_RULE_TEXT",
    "check_password_strength",
]

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
_MIN_CLASSES = 3

#: Shown next to the password field on the web page.
PASSWORD_RULE_TEXT = (
    "密码长度为8至128个字符，须包含大写字母、小写字母、数字和符号中的至少三类，"  # noqa: S105
    "不能包含手机号码，不能是常见密码，也不能由同一个字符重复组成。"
)

#: Well-known passwords that pass the class rule but appear in every leaked-password list
#: (compared case-insensitively).
COMMON_PASSWORDS = frozenset(
    p.lower()
    for p in (
        "Password123!",
        "Password@123",
        "Password123",
        "Password1!",
        "Password1",
        "Passw0rd!",
        "Passw0rd",
        "P@ssw0rd",
        "P@ssw0rd1",
        "P@ssword1",
        "P@ssword123",
        "Aa123456!",
        "Aa123456",
        "Aa@123456",
        "Aa123456789",
        "Abc@1234",
        "Abc@123456",
        "Abc123456!",
        "Abcd1234!",
        "Abcd@1234",
        "Qwer1234!",
        "Qwer@1234",
        "Qwer1234",
        "Qwerty123!",
        "Qwe123!@#",
        "1qaz@WSX",
        "1qaz!QAZ",
        "1qaz2wsx!",
        "Zaq1@wsx",
        "Admin@123",
        "Admin123!",
        "Admin@123456",
        "Root@123",
        "Welcome1!",
        "Welcome@123",
        "Test@1234",
        "Woaini1314!",
        "Woaini@1314",
        "Iloveyou1!",
        "12345678",
        "123456789",
        "1234567890",
        "password",
        "qwertyui",
        "abc12345",
    )
)


def _refuse(message: str, field: str | None) -> DomainError:
    """Build the WEAK_PASSWORD error."""
    return DomainError(ErrorCode.WEAK_PASSWORD, message, field=field)


def _classes(password: str) -> int:
    """Count the character classes used: lower-case, upper-case, digits, symbols (anything else)."""
    lower = any("a" <= ch <= "z" for ch in password)
    upper = any("A" <= ch <= "Z" for ch in password)
    digit = any("0" <= ch <= "9" for ch in password)
    symbol = any(not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9") for ch in password)
    return lower + upper + digit + symbol


def _phone_digits(phone: str | None) -> str | None:
    """Return the normalised phone number, or the trimmed raw value if it does not normalise."""
    if not phone or not phone.strip():
        return None
    try:
        return normalize_phone(phone, field=None)
    except DomainError:
        return phone.strip()


def check_password_strength(
    password: str, *, phone: str | None = None, field: str | None = "password"
) -> None:
    """Refuse a weak password with DomainError WEAK_PASSWORD and a specific Chinese reason."""
    if not isinstance(password, str):
        raise _refuse("密码必须是文本", field)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _refuse(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符，当前只有{len(password)}个", field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _refuse(f"密码不能超过{MAX_PASSWORD_LENGTH}个字符", field)
    if len(set(password)) == 1:
        raise _refuse("密码不能由同一个字符重复组成", field)
    if password.lower() in COMMON_PASSWORDS:
        raise _refuse("密码过于常见，容易被猜中，请换一个", field)
    digits = _phone_digits(phone)
    if digits and digits in password:
        raise _refuse("密码不能包含手机号码", field)
    classes = _classes(password)
    if classes < _MIN_CLASSES:
        raise _refuse(
            f"密码须包含大写字母、小写字母、数字和符号中的至少三类，当前只有{classes}类", field
        )
