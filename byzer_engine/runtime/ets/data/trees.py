"""TreeBuildExt: parent-child rows as trees (one row per root) or one row per node with its subtree."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from byzer_engine.lang.errors import ByzerError
from byzer_engine.runtime.ets.base import ET, ETContext, ETParam
from byzer_engine.runtime.ets.data._common import integer, need_column, need_table, required

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

TREE_TYPES = ("treePerRow", "nodeTreePerRow")
LEVEL = "__level__"


@dataclass
class Node:
    id: Any
    parent: Any
    children: list[Node] = field(default_factory=list)


def build_forest(pairs: list[tuple[Any, Any]], top_mark: Any) -> tuple[list[Node], list[Node]]:
    """(every node, the roots): a node is a root when its parent is null, the top-level mark, or not a
    node of the table."""
    nodes = [Node(node_id, parent) for node_id, parent in pairs]
    by_id = {node.id: node for node in nodes}
    roots = []
    for node in nodes:
        parent = by_id.get(node.parent) if node.parent is not None and node.parent != top_mark else None
        if parent is None:
            roots.append(node)
        else:
            parent.children.append(node)
    return nodes, roots


def subtree_levels(nodes: list[Node], break_at: int) -> dict[int, int]:
    """Each node's subtree depth (a leaf: 0), by ``id(node)``. A node on a loop of parent links, or
    whose subtree is deeper than ``break_at``, gets ``break_at + 1``. Iterative: deep trees are fine."""
    broken = break_at + 1
    parent_of = {id(child): node for node in nodes for child in node.children}
    levels: dict[int, int] = {}
    done: set[int] = set()
    for node in nodes:  # loops: follow the parent links until a known node or the root
        path: list[Node] = []
        on_path: set[int] = set()
        current: Node | None = node
        while current is not None and id(current) not in done and id(current) not in on_path:
            path.append(current)
            on_path.add(id(current))
            current = parent_of.get(id(current))
        if current is not None and id(current) in on_path:
            loop = path[path.index(current) :]
            levels.update((id(member), broken) for member in loop)
        done.update(on_path)
    for node in nodes:  # the rest are trees below: post-order depths
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:
            current, expanded = stack.pop()
            if id(current) in levels:
                continue
            if expanded:
                depth = max((levels[id(c)] + 1 for c in current.children), default=0)
                levels[id(current)] = min(depth, broken)
            else:
                stack.append((current, True))
                stack.extend((c, False) for c in current.children if id(c) not in levels)
    return levels


def descendants(node: Node) -> list[Node]:
    """All nodes below ``node``, depth first (loops are cut)."""
    found: list[Node] = []
    seen = {id(node)}
    stack = list(reversed(node.children))
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        stack.extend(reversed(current.children))
    return found


def _as_json(node: Node) -> dict[str, Any]:
    return {"id": node.id, "parentID": node.parent, "children": [_as_json(c) for c in node.children]}


def _typed_mark(mark: str | None, data_type: Any) -> Any:
    from pyspark.sql.types import DoubleType, FloatType, IntegralType

    if mark is None:
        return None
    try:
        if isinstance(data_type, IntegralType):
            return int(mark)
        if isinstance(data_type, DoubleType | FloatType):
            return float(mark)
    except ValueError:
        raise ByzerError(f"TreeBuildExt: topLevelMark {mark!r} is not a {data_type.simpleString()}") from None
    return mark


class TreeBuildExt(ET):
    name = "TreeBuildExt"
    alg_type = "feature engineer"
    doc = (
        "Builds trees from (id, parent id) rows. treePerRow: a row per root with its nested children "
        "and level (depth); nodeTreePerRow: a row per node with id (string), level (subtree depth, a "
        "leaf 0) and children (every descendant's id). Rows whose id equals their parent id are dropped."
    )
    params = (
        ETParam("idCol", "the node id column", required=True),
        ETParam("parentIdCol", "the parent id column", required=True),
        ETParam("topLevelMark", "the parent id of the roots (default: null)"),
        ETParam("treeType", "treePerRow or nodeTreePerRow", default="treePerRow", values=TREE_TYPES),
        ETParam("recurringDependencyBreakTimes", "levels above this mean a loop: level >= it, no children",
                default="1000"),
    )  # fmt: skip
    example = (
        'set jsonStr=\'\'\'\n{"id":0,"parentId":null}\n{"id":1,"parentId":null}\n'
        '{"id":2,"parentId":1}\n{"id":7,"parentId":0}\n\'\'\';\n'
        "load jsonStr.`jsonStr` as data;\n"
        'run data as TreeBuildExt.`` where idCol="id" and parentIdCol="parentId" '
        'and treeType="nodeTreePerRow" as result;'
    )

    def run(self, ctx: ETContext, table: DataFrame | None, path: str, options: dict[str, str]) -> DataFrame:
        df = need_table(self, table)
        id_col = required(self, options, "idCol")
        parent_col = required(self, options, "parentIdCol")
        need_column(self, df, id_col, "idCol")
        need_column(self, df, parent_col, "parentIdCol")
        tree_type = options.get("treeType", "").strip() or "treePerRow"
        if tree_type not in TREE_TYPES:
            raise ByzerError(
                f"TreeBuildExt: treeType must be treePerRow or nodeTreePerRow, not {tree_type!r}"
            )
        break_at = integer(self, options, "recurringDependencyBreakTimes", 1000)
        mark = _typed_mark(options.get("topLevelMark"), df.schema[parent_col].dataType)
        rows = df.select(f"`{id_col}`", f"`{parent_col}`").distinct().collect()
        pairs = [(row[0], row[1]) for row in rows if row[0] != row[1]]
        try:  # children in id order, whatever order distinct() gave
            pairs.sort(key=lambda pair: pair[0])
        except TypeError:
            pairs.sort(key=lambda pair: str(pair[0]))
        nodes, roots = build_forest(pairs, mark)
        levels = subtree_levels(nodes, break_at)
        if tree_type == "nodeTreePerRow":
            out = []
            for node in nodes:
                level = levels[id(node)]
                below = [] if level >= break_at else [str(d.id) for d in descendants(node)]
                out.append((str(node.id), level, below))
            return ctx.spark.createDataFrame(out, "id string, level int, children array<string>")
        from pyspark.sql import functions as F

        if not roots:
            return ctx.spark.createDataFrame(
                [], "children array<string>, id string, parentID string, level int"
            )
        # As Byzer does: the roots as JSON, read back by Spark, which infers the nested children type.
        texts = []
        for root in roots:
            tree = _as_json(root)
            tree[LEVEL] = levels[id(root)]
            texts.append(json.dumps(tree, default=str))
        trees = ctx.spark.read.json(ctx.spark.sparkContext.parallelize(texts, 1))
        return trees.select("children", "id", "parentID", F.col(LEVEL).cast("int").alias("level"))
