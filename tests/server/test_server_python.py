"""``byzer serve`` refuses Byzer-python unless started with --allow-code (the shared server is not)."""

from __future__ import annotations

import httpx
import pytest

SCRIPTS = [
    """!python conf "schema=st(field(a,long))";
run command as Ray.`` where inputTable="command" and outputTable="o" and code='''
import os
context.build_result([{"a": len(os.listdir("/"))}])
''';""",
    """select 1 as a as t;
!python conf "schema=st(field(a,long))";
!ray on t '''
context.build_result([{"a": 1}])
''' named o;""",
    """#%python
#%schema=st(field(a,long))
context.build_result([{"a": 1}])
""",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_python_is_refused_without_allow_code(http: httpx.Client, script: str) -> None:
    response = http.post("/run/script", data={"sql": script, "owner": "py_refused"})
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["kind"] == "auth error"
    assert "Python" in body["message"] and "--allow-code" in body["message"]
    assert isinstance(body["line"], int)
