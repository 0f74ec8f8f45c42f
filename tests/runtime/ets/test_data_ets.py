"""Data-processing ETs run from scripts: what scripts/*.byzer do not cover (saved output, predict,
name lookup, bad options)."""

from __future__ import annotations

from pathlib import Path

import pytest

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime import Engine

OWNER = "et_data"


def _run(engine: Engine, script: str) -> list[dict[str, object]]:
    return engine.run_script(script, owner=OWNER).rows


def test_name_lookup_ignores_the_first_letters_case_only(engine: Engine) -> None:
    script = "select 1 as a as t;\nrun t as {} .`` as out;"
    for spelling in ("AutoIncrementKeyExt", "autoIncrementKeyExt"):
        rows = _run(engine, script.format(spelling).replace(" .", "."))
        assert len(rows) == 1 and "id" in rows[0]
    with pytest.raises(ByzerError, match="unknown ET 'autoincrementkeyext'"):
        _run(engine, script.format("autoincrementkeyext").replace(" .", "."))
    assert engine.ets.canonical("dataSummary") == "DataSummary"
    assert engine.ets.canonical("DATASUMMARY") is None


def test_predict_is_run_for_the_ets_that_allow_it(engine: Engine) -> None:
    rows = _run(engine, "select 1 as a as t;\npredict t as AutoIncrementKeyExt.`` as out;")
    assert list(rows[0]) == ["a", "id"]
    rows = _run(engine, "select 3 as id, 1 as pid as t;\npredict t as TreeBuildExt.`` "
                "where idCol=\"id\" and parentIdCol=\"pid\" and treeType=\"nodeTreePerRow\" as out;")  # fmt: skip
    assert rows == [{"id": "3", "level": 0, "children": []}]


@pytest.mark.parametrize(
    "et", ["JsonExpandExt", "DataTranspose", "RateSampler", "MapValues", "TokenAnalysis"]
)
def test_predict_without_scoring_gives_an_empty_param_table(engine: Engine, et: str) -> None:
    result = engine.run_script(f"select 1 as label as t;\npredict t as {et}.`p` as out;", owner=OWNER)
    assert result.rows == []
    assert [f["name"] for f in result.schema["fields"]] == ["param", "description"]


def test_register_of_an_et_that_cannot(engine: Engine) -> None:
    with pytest.raises(ByzerError, match="cannot be registered"):
        _run(engine, "register DataSummary.`x` as summary_fn;")


def test_rate_sampler_random_split_and_bad_options(engine: Engine) -> None:
    rows = _run(engine, "select id, 1.0 as label from range(200) as t;\n"
                "run t as RateSampler.`` where isSplitWithSubLabel=\"false\" and sampleRate=\"0.5,0.5\" as m;\n"
                "select __split__, count(*) as n from m group by __split__ order by __split__ as out;")  # fmt: skip
    assert [r["__split__"] for r in rows] == [0, 1] and sum(int(str(r["n"])) for r in rows) == 200
    with pytest.raises(ByzerError, match="sum to 1"):
        _run(engine, 'select 1 as label as t;\nrun t as RateSampler.`` where sampleRate="0.5,0.6" as m;')
    with pytest.raises(ByzerError, match="must be numeric"):
        _run(engine, "select 'x' as label as t;\nrun t as RateSampler.`` as m;")


def test_unique_identifier_refuses_an_existing_column(engine: Engine) -> None:
    with pytest.raises(ByzerError, match="already exists"):
        _run(engine, "select 1 as Unique_ID as t;\nrun t as UniqueIdentifier.`` as m;")


def test_unique_identifier_numbers_rows_across_partitions(engine: Engine) -> None:
    rows = _run(engine, "select id as n from range(0, 50, 1, 4) as t;\n"
                "run t as UniqueIdentifier.`` as m;\nselect collect_list(Unique_ID) = sequence(1L, 50L) "
                "as consecutive, collect_list(n) = sequence(0L, 49L) as in_order from m as out;")  # fmt: skip
    assert rows == [{"consecutive": True, "in_order": True}]


def test_repartition_needs_its_options(engine: Engine) -> None:
    with pytest.raises(ByzerError, match="partitionNum is required"):
        _run(engine, "select 1 as a as t;\nrun t as TableRepartition.`` as m;")
    with pytest.raises(ByzerError, match="partitionCols is required when partitionType is range"):
        _run(
            engine,
            'select 1 as a as t;\nrun t as TableRepartition.`` where partitionNum="2" '
            'and partitionType="range" as m;',
        )


def test_empty_table_with_schema_forms(engine: Engine, engine_data_root: Path) -> None:
    from pyspark.sql.types import StructType

    (engine_data_root / OWNER).mkdir(parents=True, exist_ok=True)
    (engine_data_root / OWNER / "schema.txt").write_text("st(field(a,long),field(m,map(string,integer)))")
    forms = {
        "id bigint, name string": "struct<id:bigint,name:string>",
        '{"type":"struct","fields":[{"name":"v","type":"double","nullable":true,"metadata":{}}]}': (
            "struct<v:double>"
        ),
        "file:schema.txt": "struct<a:bigint,m:map<string,int>>",
    }
    for schema, expected in forms.items():
        script = "run command as EmptyTableWithSchema.`` where schema='''" + schema + "''' as e;"
        result = engine.run_script(script, owner=OWNER)
        assert result.rows == []
        assert StructType.fromJson(result.schema).simpleString() == expected
    with pytest.raises(ByzerError, match="unknown type 'text'"):
        _run(engine, "run command as EmptyTableWithSchema.`` where schema='''st(field(a,text))''' as e;")


def test_syntax_analyze_needs_sql(engine: Engine) -> None:
    with pytest.raises(ByzerError, match="sql is required"):
        _run(engine, "run command as SyntaxAnalyzeExt.`` as out;")


def test_token_analysis_saves_words(engine: Engine, engine_data_root: Path) -> None:
    home = engine_data_root / OWNER
    (home / "dics").mkdir(parents=True, exist_ok=True)
    (home / "dics" / "words.txt").write_text("拜泽引擎 nz\n")
    docs = "select 1 as id, '我们用拜泽引擎处理数据，拜泽引擎很快' as content union all select 2, null as docs;\n"
    script = (
        docs + 'train docs as TokenAnalysis.`tokens/a` where inputCol="content" and idCol="id" '
        'and `dic.paths`="dics/words.txt" as r;\n'
        "load parquet.`tokens/a` as words;\nselect * from words order by id as out;"
    )
    result = engine.run_script(script, owner=OWNER)
    assert [f["name"] for f in result.schema["fields"]] == ["keywords", "id"]
    words = ["我们", "用", "拜泽引擎", "处理", "数据", "，", "拜泽引擎", "很快"]
    assert result.rows == [{"keywords": words, "id": 1}, {"keywords": None, "id": 2}]
    natures = (
        docs + 'train docs as TokenAnalysis.`tokens/b` where inputCol="content" and idCol="id" '
        'and `dic.paths`="dics/words.txt" and ignoreNature="false" and filterNatures="nz" '
        'and deduplicateResult="true";\nload parquet.`tokens/b` as words;\n'
        "select keywords from words where id = 1 as out;"
    )
    assert engine.run_script(natures, owner=OWNER).rows == [{"keywords": ["拜泽引擎/nz"]}]


def test_token_extract_keeps_dictionary_words(engine: Engine) -> None:
    script = (
        "select 1 as id, '我爱北京天安门，也爱上海' as content as docs;\n"
        'train docs as TokenExtract.`tokens/e` where inputCol="content" and idCol="id" '
        'and wordsArray="天安门,上海";\nload parquet.`tokens/e` as words;\nselect keywords from words as out;'
    )
    assert _run(engine, script) == [{"keywords": ["天安门", "上海"]}]
    with pytest.raises(ByzerError, match=r"dic\.paths"):
        _run(engine, "select 1 as id, 'x' as content as docs;\n"
             "train docs as TokenExtract.`tokens/f` where inputCol=\"content\" and idCol=\"id\";")  # fmt: skip


def test_model_params_and_example_of_each_data_et(engine: Engine) -> None:
    for et in ("JsonExpandExt", "DataSummary", "TreeBuildExt", "MapValues", "EmptyTableWithSchema"):
        params = engine.run_script(f"load modelParams.`{et}` as p;", owner=OWNER).rows
        assert params and all(row["description"] for row in params), et
        example = engine.run_script(f"load modelExample.`{et}` as e;", owner=OWNER).rows
        assert example[0]["doc"] and example[0]["example"], et
