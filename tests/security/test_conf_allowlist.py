"""Only the confs on the policy's allow-list may be set on the server: no conf that changes how
paths, catalogs, the warehouse or the file systems work."""

from __future__ import annotations

import httpx
import pytest
from security_checks import assert_refused, run


@pytest.mark.parametrize(
    "key",
    [
        "spark.sql.legacy.allowNonEmptyLocationInCTAS",
        "spark.sql.legacy.pathOptionBehavior.enabled",
        "spark.sql.warehouse.dir",
        "spark.sql.hive.metastore.jars",
        "spark.sql.catalog.evil",
        "spark.hadoop.fs.file.impl",
        "spark.sql.runSQLOnFiles",
        "fs.file.impl",
    ],
)
def test_confs_off_the_allow_list_are_refused(http: httpx.Client, key: str) -> None:
    assert_refused(run(http, f'set {key} = "x" where type="conf";'), key, "allow-list")


def test_confs_on_the_allow_list_are_set(http: httpx.Client) -> None:
    script = (
        'set spark.sql.session.timeZone = "Asia/Tokyo" where type="conf";\n'
        "select date_format(timestamp_seconds(0), 'HH') as h as t;"
    )
    response = run(http, script, owner="tokyo")
    assert response.status_code == 200, response.text
    assert response.json() == [{"h": "09"}]
