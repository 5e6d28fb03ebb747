#!/usr/bin/env python3
"""Prints the RDS IAM auth tokens that boto3's generate_db_auth_token makes for fixed inputs.

The expected values in src/db/iam.rs (`BOTO3_CASES`) were produced by this script (boto3 1.43.11,
botocore 1.43.11); run it again after changing a case. The clock is frozen by patching
botocore's datetime, so no network and no real credentials are involved.
"""
import datetime
from unittest import mock

import boto3
import botocore.auth

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5)
CASES = [
    # (host, port, user, region, access key, secret key, session token)
    ("db.cluster-abc123.us-east-1.rds.amazonaws.com", 3306, "ghost", "us-east-1",
     "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None),
    ("ghost-db.c9akciq32.cn-north-1.rds.amazonaws.com.cn", 3307, "ghost_iam+x@y", "cn-north-1",
     "ASIAEXAMPLE", "secret/with+chars=", "FwoGZXIvYXdzE//session+token/=="),
]


class FrozenDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return NOW

    @classmethod
    def now(cls, tz=None):
        return NOW if tz is None else NOW.replace(tzinfo=tz)


for host, port, user, region, ak, sk, tok in CASES:
    session = boto3.session.Session(
        aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=tok, region_name=region
    )
    rds = session.client("rds")
    with mock.patch.object(botocore.auth.datetime, "datetime", FrozenDatetime):
        print(rds.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user, Region=region))
