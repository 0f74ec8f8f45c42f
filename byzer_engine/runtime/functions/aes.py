"""Byzer's one-argument ``aes_encrypt(text)`` / ``aes_decrypt(text)``: AES/CFB with PKCS#5 padding,
base64 text, null for null input or text that does not decrypt.

The key and IV come from the Spark confs ``spark.mlsql.cipher.aes.key`` and
``spark.mlsql.cipher.aes.iv`` (read when the session starts); a key or IV that is not 16 characters
is replaced by the first 16 hex digits of its MD5, and without them Byzer's built-in defaults apply.
These names take the place of Spark's own multi-argument ``aes_encrypt``/``aes_decrypt`` in the
session, as they do in Byzer (session functions resolve before built-ins, as on Spark 3); Spark's
remain callable as ``system.builtin.aes_encrypt(...)``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from byzer_engine.runtime.functions.base import SqlFunction

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Session functions first, then built-ins, as on Spark 3 (Byzer's): so these names win over Spark's.
RESOLUTION_ORDER_CONF = "spark.sql.functionResolution.sessionOrder"
KEY_CONF = "spark.mlsql.cipher.aes.key"
IV_CONF = "spark.mlsql.cipher.aes.iv"
DEFAULT_KEY = b"thisIsASecretKey"
DEFAULT_IV = bytes(
    [0x12, 0x34, 0x76, 0x78, 0x91, 0xAB, 0xCD, 0xFF, 0x14, 0x54, 0xE5, 0x48, 0x22, 0xCD, 0xAC, 0x1F]
)


def _material(value: str | None, default: bytes) -> bytes:
    if value is None or value == "":
        return default
    if len(value) != 16:
        return hashlib.md5(value.encode("utf-8")).hexdigest()[:16].encode("utf-8")
    return value.encode("utf-8")


def encrypt(text: str, key: bytes, iv: bytes) -> str:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(text.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CFB(iv)).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def decrypt(text: str, key: bytes, iv: bytes) -> str | None:
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        decryptor = Cipher(algorithms.AES(key), modes.CFB(iv)).decryptor()
        padded = decryptor.update(base64.b64decode(text)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except ValueError:  # not base64, bad padding or not UTF-8: Byzer returns null
        return None


def _conf(spark: SparkSession, name: str) -> str | None:
    value = spark.conf.get(name, None)
    return value if value else None


class _AesFunction(SqlFunction):
    name = ""
    decrypting = False

    def register(self, spark: SparkSession) -> None:
        from pyspark.sql.types import StringType

        key = _material(_conf(spark, KEY_CONF), DEFAULT_KEY)
        iv = _material(_conf(spark, IV_CONF), DEFAULT_IV)
        operation = decrypt if self.decrypting else encrypt
        function_name = self.name

        def call(*args: Any) -> str | None:
            if len(args) != 1:
                raise ValueError(f"{function_name} takes one argument (the text), not {len(args)}")
            return None if args[0] is None else operation(str(args[0]), key, iv)

        spark.conf.set(RESOLUTION_ORDER_CONF, "first")
        spark.udf.register(self.name, call, StringType())


class AesEncrypt(_AesFunction):
    name = "aes_encrypt"
    doc = "aes_encrypt(text) -> base64 text, with the engine's AES key (Byzer's one-argument form)"


class AesDecrypt(_AesFunction):
    name = "aes_decrypt"
    doc = "aes_decrypt(base64 text) -> text, or null when it does not decrypt"
    decrypting = True
