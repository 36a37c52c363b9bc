#!/usr/bin/env python3
"""Make a signing key and sign JWTs: software statements and signed registration requests.

    python scripts/jose_tool.py keygen --kid directory-2026 --alg ES256 --private key.pem --jwks jwks.json
    python scripts/jose_tool.py sign --private key.pem --kid directory-2026 --alg ES256 \\
        --claims claims.json [--lifetime 300] [--aud URL] [--jti]

``sign`` adds ``iat``, ``exp`` (now + lifetime) and, with ``--jti``, a random ``jti``; it prints
the compact JWS. Only public keys ever go into the JWKS file.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")


def keygen(args: argparse.Namespace) -> None:
    private: Any
    if args.alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
        public_jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    elif args.alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
        public_jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    Path(args.private).write_bytes(pem)
    Path(args.private).chmod(0o600)
    public_jwk.update({"kid": args.kid, "use": "sig", "alg": args.alg})
    Path(args.jwks).write_text(json.dumps({"keys": [public_jwk]}, indent=2) + "\n")
    print(f"private key: {args.private}  public JWKS: {args.jwks}")


def sign(args: argparse.Namespace) -> None:
    claims = json.loads(Path(args.claims).read_text())
    now = int(time.time())
    claims.setdefault("iat", now)
    claims.setdefault("exp", now + args.lifetime)
    if args.aud:
        claims["aud"] = args.aud
    if args.jti:
        claims["jti"] = secrets.token_urlsafe(16)
    key = serialization.load_pem_private_key(Path(args.private).read_bytes(), password=None)
    print(jwt.encode(claims, key, algorithm=args.alg, headers={"kid": args.kid}))  # type: ignore[arg-type]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    actions = parser.add_subparsers(dest="action", required=True)
    make = actions.add_parser("keygen", help="a new key pair: private PEM and public JWKS")
    make.add_argument("--kid", required=True)
    make.add_argument("--alg", choices=ALGORITHMS, default="ES256")
    make.add_argument("--private", required=True, help="where to write the private key (PEM)")
    make.add_argument("--jwks", required=True, help="where to write the public JWKS")
    make.set_defaults(run=keygen)
    signer = actions.add_parser("sign", help="sign a JSON object of claims")
    signer.add_argument("--private", required=True)
    signer.add_argument("--kid", required=True)
    signer.add_argument("--alg", choices=ALGORITHMS, default="ES256")
    signer.add_argument("--claims", required=True, help="a JSON file of claims")
    signer.add_argument("--lifetime", type=int, default=300, help="seconds until exp")
    signer.add_argument("--aud", help="the audience (issuer or registration endpoint)")
    signer.add_argument("--jti", action="store_true", help="add a random jti")
    signer.set_defaults(run=sign)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main(sys.argv[1:])
