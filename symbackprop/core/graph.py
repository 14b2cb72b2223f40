"""The computational graph as pure structure: which names each node is computed from.

No SymPy here: order, reachability and paths only need names. Edges point from a name
to the node computed from it (``w1 → s1``), the direction the forward pass runs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from symbackprop.errors import SymbackpropError


class CycleError(SymbackpropError):
    """The equations depend on themselves."""


@dataclass(frozen=True)
class Graph:
    """Nodes in definition order, each with the names its right side uses.

    >>> g = Graph({"q": ("x", "y"), "f": ("q", "z")})
    >>> g.leaves
    ('x', 'y', 'z')
    >>> g.count_paths("x", "f")
    1
    >>> Graph({"f": ("x", "x")}).count_paths("x", "f")
    1
    """

    parents: dict[str, tuple[str, ...]]
    _children: dict[str, list[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A name used twice on one right side (x*x) is one edge: ∂f/∂x already counts both uses.
        object.__setattr__(self, "parents", {node: tuple(dict.fromkeys(used)) for node, used in self.parents.items()})
        children: dict[str, list[str]] = {name: [] for name in self.names}
        for node, used in self.parents.items():
            for parent in used:
                children[parent].append(node)
        object.__setattr__(self, "_children", children)

    @cached_property
    def nodes(self) -> tuple[str, ...]:
        """The defined names, in the order they were given."""
        return tuple(self.parents)

    @cached_property
    def leaves(self) -> tuple[str, ...]:
        """Names used but never defined (inputs and params), in order of first use."""
        seen: dict[str, None] = {}
        for used in self.parents.values():
            for name in used:
                if name not in self.parents:
                    seen.setdefault(name)
        return tuple(seen)

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Every name: leaves first, then the nodes."""
        return self.leaves + self.nodes

    def children(self, name: str) -> list[str]:
        """The nodes computed directly from ``name`` (none for a name no equation uses)."""
        return self._children.get(name, [])

    @cached_property
    def order(self) -> tuple[str, ...]:
        """A topological order of all names (leaves first); raises CycleError on a cycle."""
        remaining = {node: len(used) for node, used in self.parents.items()}  # parents are distinct
        # A node with no parents (a constant, ``E = 2``) is ready from the start, like a leaf.
        ready = deque([*self.leaves, *(node for node, count in remaining.items() if count == 0)])
        order: list[str] = []
        while ready:
            name = ready.popleft()
            order.append(name)
            for child in self._children[name]:
                remaining[child] -= 1
                if remaining[child] == 0:
                    ready.append(child)
        if len(order) != len(self.names):
            raise CycleError(f"cycle: {' → '.join(self.find_cycle())}")
        return tuple(order)

    def find_cycle(self) -> list[str]:
        """One cycle among the nodes, as a closed list of names (first == last).

        Depth first over parents, with an explicit stack so that long chains do not hit
        Python's recursion limit.

        >>> Graph({"a": ("b", "x"), "b": ("c",), "c": ("a",)}).find_cycle()
        ['a', 'c', 'b', 'a']
        >>> Graph({"s1": (), "E": ("s1", "w")}).find_cycle()
        []
        """
        state: dict[str, str] = {}
        stack: list[str] = []
        todo: list[Iterator[str]] = []  # todo[i]: the parents of stack[i] not yet looked at

        for start in self.parents:
            if start in state:
                continue
            state[start] = "open"
            stack.append(start)
            todo.append(iter(self.parents[start]))
            while todo:
                parent = next(todo[-1], None)
                if parent is None:
                    state[stack.pop()] = "done"
                    todo.pop()
                elif state.get(parent) == "open":
                    return [*stack[stack.index(parent) :], parent][::-1]
                elif parent in self.parents and parent not in state:
                    state[parent] = "open"
                    stack.append(parent)
                    todo.append(iter(self.parents[parent]))
        return []

    def reaches(self, source: str, target: str) -> bool:
        """Whether some path leads from ``source`` to ``target``."""
        return self.count_paths(source, target) > 0

    def between(self, source: str, target: str) -> list[str]:
        """Names on some path from ``source`` to ``target``, in topological order."""
        downstream = self._closure([source], self.children)
        upstream = self._closure([target], lambda name: self.parents.get(name, ()))
        return [name for name in self.order if name in downstream and name in upstream]

    @staticmethod
    def _closure(start: Iterable[str], step) -> set[str]:
        seen, todo = set(start), list(start)
        while todo:
            for nxt in step(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def count_paths(self, source: str, target: str) -> int:
        """How many distinct paths lead from ``source`` to ``target`` (without listing them)."""
        counts = {name: 0 for name in self.names}
        counts[source] = 1
        for name in self.order:
            for child in self._children[name]:
                counts[child] += counts[name]
        return counts[target]

    def paths(self, source: str, target: str, limit: int) -> list[tuple[str, ...]]:
        """At most ``limit`` paths from ``source`` to ``target``, depth first in equation order."""
        useful = set(self.between(source, target))
        found: list[tuple[str, ...]] = []
        if source not in useful:
            return found
        # Depth first with an explicit stack (no recursion limit on long chains):
        # todo[i] holds the useful children of path[i] not yet walked.
        path: list[str] = []
        todo: list[Iterator[str]] = []

        def enter(name: str) -> None:
            path.append(name)
            if len(found) >= limit:
                path.pop()
            elif name == target:
                found.append(tuple(path))
                path.pop()
            else:
                todo.append(child for child in self._children[name] if child in useful)

        enter(source)
        while todo and len(found) < limit:
            child = next(todo[-1], None)
            if child is None:
                todo.pop()
                path.pop()
            else:
                enter(child)
        return found
