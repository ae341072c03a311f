"""Encrypted files as the release before name-bound values wrote them (header ``:v1``, each
value's AAD holding its entry's position), for the tests that old files still open, merge and
convert. Written by ``encrypt_dotenv`` at commit f85b0f8 with the keys below, never by a test.
"""

from __future__ import annotations

PASSPHRASE = "correct horse battery staple"
# The data key of environment prod (env-1234, key version 3) that ENV_FILE is encrypted to.
DATA_KEY = bytes(range(32))
# The Argon2id salt of BASE_FILE and OURS_FILE (the default costs).
SALT = bytes(range(16))

ENV_PLAIN = "A=alpha-value\nB=bravo-value\nC=charlie-value\nD=delta-value\n"
ENV_FILE = (
    "# envkeep-encrypted:v1 env=prod env_id=env-1234 key_version=3"
    " check=whDgqSRtiftZdzuu3NtAPw mac=zf3_VUgHjLrTMw-0J_2tKyDb7OKYrOarp_kTLZbKeMQ\n"
    "A=enc:v1:AQAAAANx_rfaAYs6fy00mydQrMrEhkrIpjOvKr6Xtkvbk2FcCH4pFub_070\n"
    "B=enc:v1:AQAAAAPI6iTpHs3ZacSzCmYaH5kwU7_VPoPM0HABipls2NLnGxxeMbEjFY4\n"
    "C=enc:v1:AQAAAANup4nPd_XtDID1yd8d8snlexlorFMTFDmXFygpZcVZ_yS38mYXcL6SOQ\n"
    "D=enc:v1:AQAAAANqSaxgS7yZsBUqaBfCgw_XWLg8FyEqUxcuXa9_fgkaKS_vTvnuh-g\n"
)

BASE_PLAIN = (
    "# database\nDB_URL=postgres://base-url\nDB_PASS='base-pass'\n\nAPI_KEY=base-key\n"
    "LAST=last-value\n"
)
OURS_PLAIN = BASE_PLAIN.replace("base-url", "ours-url")
BASE_FILE = (
    "# envkeep-encrypted:v1 kdf=argon2id salt=AAECAwQFBgcICQoLDA0ODw m=65536 t=3 p=4"
    " check=qstS0eEOxb4Lc6uZlMcNgQ mac=JCY1LuI9iTy-fyuLuU5ruR4HxaRTKsHXdXIyVTa6Jjg\n"
    "# database\n"
    "DB_URL=enc:v1:AQAAAAHxMhqndFDqzgM711-P4NckjhtN4mg2EJXygmJUlK68cCNbCD4tvHUOc4z-Mlf5Lw\n"
    "DB_PASS='enc:v1:AQAAAAHslWoHtsNyoDwf1efV3HwiY-IzfX2C5nuyzYQjBfH78qQGfa7J0yg'\n"
    "\n"
    "API_KEY=enc:v1:AQAAAAFNkYoINplNU8HTjE0H-KeYbsIxDRFBXhDEXnPjMKJSRE2NmiU\n"
    "LAST=enc:v1:AQAAAAFOu3YZ813wM9rl121yL115XeYPTmA-8MZrY3SAGbeT5vRw9Tej7g\n"
)
OURS_FILE = (
    "# envkeep-encrypted:v1 kdf=argon2id salt=AAECAwQFBgcICQoLDA0ODw m=65536 t=3 p=4"
    " check=qstS0eEOxb4Lc6uZlMcNgQ mac=fZzuO1NTGF8N4AZmv_qf80m-McXtBM0GbXJKUFnVxBw\n"
    "# database\n"
    "DB_URL=enc:v1:AQAAAAE6t2mi_DvLZoi5dDC5Wk5D2nughOVYnFUxzRiZbRKI5YhMGf8Sooy4suVLu3LjnA\n"
    "DB_PASS='enc:v1:AQAAAAEHpKkHxxJQMQavspxc5-pbtDGSng68sGCWnMqb_n1B-6gv2R3EvOw'\n"
    "\n"
    "API_KEY=enc:v1:AQAAAAHFew13FCJj6EknTm-O27nUr5AinQ8nsg6opbqgQaTrqbhcmUU\n"
    "LAST=enc:v1:AQAAAAHc61EsOXr8JC8WZ8RDm4wgqCf9OFQ35Fhhs3dtmKX3bqxIe-8rQw\n"
)
