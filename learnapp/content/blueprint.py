"""Exam blueprints: the share of a quiz's points each tag must have, in every possible attempt.

A quiz declares in its front matter, for some of its tags, the lowest and highest share of an
attempt's points that questions carrying the tag may have::

    blueprint:
      recall: {max: 25}     # at most 25 % of the points test recall
      scenario: {min: 40}   # at least 40 % are scenarios

A question's points count toward each of its tags, so shares may add up to more than 100 %.
:func:`parse_blueprint` validates the key (the loader reports its errors); :func:`worst_draws`
finds, for each bound, the possible attempt that breaks it the most, which the quality check
(:mod:`learnapp.content.quality`) reports.

Which attempts are possible
---------------------------
``plan_attempt`` (``learnapp.quizzes.rules``) draws, for a quiz of n questions:

- without ``draw``: every question, so there is one attempt;
- ``draw: N``: any N distinct questions (``random.sample``);
- ``draw: {tag: count, ...}``: T = the sum of the counts distinct questions filling ``count``
  slots per tag, each question in a slot of one of its own tags; a question carrying several
  drawn tags fills one slot, whichever the matching gives it.

The three are one structure: **groups** of slots (one group of n slots that take any question;
one group of N; one group per drawn tag), and a set of questions is a possible draw exactly when
it fills every slot, one question per slot, each in a group it fits. Those sets are the bases of
a transversal matroid (Edmonds and Fulkerson, 1965). ``plan_attempt`` only ever draws such a set
(the loader refuses pools that cannot fill every slot), so checking all of them is sound; and
``tests/content/test_blueprint.py`` checks on small random pools, over every candidate order of
the drawing code, that each of them is drawn for some order, so a reported draw can happen.

Finding the worst draw without enumerating
------------------------------------------
The share of tag t in a draw S is A(S) / B(S): B(S) the points of S, A(S) the points of the
questions of S that carry t. A bound "share <= P %" is linear in the chosen questions:

    share(S) <= P/100   <=>   sum over q in S of points(q) * ([t in tags(q)] - P/100) <= 0

so some draw breaks it exactly when the largest value of that sum over all possible draws is
above 0. (A lower bound "share >= P %" is the upper bound "share of the other questions <=
100 - P %".) A sum of per-question weights is maximised over the bases of a matroid by the
greedy algorithm (Rado 1957, Edmonds 1971): take the questions by decreasing weight and keep
each one that still leaves a way to fill every slot, which one augmenting-path search over the
groups decides. For ``draw: N`` that picks the N heaviest questions, for tags no question
shares the heaviest of each group; with questions carrying several drawn tags, where picking
per group can choose a set that fills no valid draw, the greedy stays exact.

To report the worst draw, not just one that fails, the share itself (a ratio of two linear
sums) is then maximised by Dinkelbach's method: take lambda = the share of the draw just found
and maximise A - lambda * B again; while the maximum is above 0 a draw with a higher share
exists, and once it is 0 the last draw has the highest share. The share grows each round and
there are finitely many draws, so this ends, in a few rounds in practice. All arithmetic is
exact (``Fraction``): a draw exactly at a bound meets it.

Cost per bound and round: sorting the n questions, then n augmenting-path searches that each
visit every group at most once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from learnapp.content.errors import Location
from learnapp.content.fields import Fields, describe, is_id, key_line, to_decimal
from learnapp.content.messages import msg


@dataclass(frozen=True)
class ShareRule:
    """One ``blueprint`` entry: tag ``tag`` has ``minimum``..``maximum`` % of the points."""

    tag: str
    minimum: Decimal | None
    maximum: Decimal | None
    #: File line of the tag's entry in the quiz's front matter.
    line: int


def parse_blueprint(meta: Fields, carried: set[str]) -> tuple[ShareRule, ...]:
    """Read the quiz front matter's ``blueprint``; errors go to ``meta.problems``.

    ``carried`` holds the tags the quiz's questions carry: a rule for any other tag is an error,
    since it would hold or fail whatever the draw.
    """
    raw = meta.raw.get("blueprint")
    if raw is None:
        return ()
    top = meta.line("blueprint")
    if not isinstance(raw, Mapping):
        meta.error(
            msg(
                '"blueprint" must map tags to {min: P, max: P} (percentages), got %(got)s',
                got=describe(raw),
            ),
            top,
        )
        return ()
    rules = []
    for tag, value in raw.items():
        line = key_line(raw, tag, top)
        if not is_id(tag):
            meta.error(
                msg(
                    "blueprint: %(value)s is not a tag: %(hint)s",
                    value=describe(tag),
                    hint=msg(
                        "lowercase letters, digits and '-', starting with a letter or digit,"
                        " at most 64"
                    ),
                ),
                line,
            )
            continue
        if tag not in carried:
            meta.error(
                msg('blueprint: no question of this quiz carries the tag "%(tag)s"', tag=tag), line
            )
        if not isinstance(value, Mapping) or not value:
            meta.error(
                msg(
                    'blueprint: "%(tag)s" needs {min: P}, {max: P} or both, percentages of the'
                    " quiz's points, got %(got)s",
                    tag=tag,
                    got=describe(value),
                ),
                line,
            )
            continue
        sub = Fields(value, Location(meta.where.path, line), msg('blueprint "%(tag)s"', tag=tag))
        sub.check_keys(("min", "max"), ())
        bounds: dict[str, Decimal] = {}
        for key in ("min", "max"):
            if value.get(key) is None:
                continue
            number = to_decimal(value[key])
            if number is None or not 0 <= number <= 100:
                sub.error(
                    msg(
                        'blueprint: "%(key)s" of "%(tag)s" must be a percentage from 0 to 100,'
                        " got %(got)s",
                        key=key,
                        tag=tag,
                        got=describe(value[key]),
                    ),
                    sub.line(key),
                )
            else:
                bounds[key] = number
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            sub.error(
                msg(
                    'blueprint: "%(tag)s" has min %(minimum)s above max %(maximum)s',
                    tag=tag,
                    minimum=bounds["min"],
                    maximum=bounds["max"],
                ),
                sub.line("min"),
            )
        meta.problems.extend(sub.problems)
        if bounds and not sub.problems:
            rules.append(ShareRule(str(tag), bounds.get("min"), bounds.get("max"), line))
    return tuple(rules)


@dataclass(frozen=True)
class Pool:
    """A quiz's questions and how attempts draw from them (see the module docstring)."""

    points: tuple[int, ...]
    tags: tuple[frozenset[str], ...]
    #: ``(tag, slots)`` per group; tag ``None`` takes any question.
    groups: tuple[tuple[str | None, int], ...]

    @classmethod
    def of(
        cls,
        points: Sequence[int],
        tags: Sequence[Sequence[str]],
        draw: int | Mapping[str, int] | None,
    ) -> Pool:
        """The pool of questions with these points and tags under ``draw:`` as in QuizSettings."""
        groups: tuple[tuple[str | None, int], ...]
        if isinstance(draw, Mapping):
            groups = tuple((str(tag), int(count)) for tag, count in draw.items())
        elif isinstance(draw, int) and not isinstance(draw, bool):
            groups = ((None, min(draw, len(points))),)
        else:
            groups = ((None, len(points)),)
        return cls(tuple(points), tuple(frozenset(t) for t in tags), groups)

    @property
    def size(self) -> int:
        """Questions per attempt."""
        return sum(count for _, count in self.groups)

    @property
    def single_attempt(self) -> bool:
        """Whether every attempt holds every question (so there is one possible draw)."""
        return self.size >= len(self.points)

    def fits(self, question: int, group: int) -> bool:
        tag = self.groups[group][0]
        return tag is None or tag in self.tags[question]

    def best_draw(self, weights: Sequence[Fraction]) -> tuple[int, ...]:
        """A possible draw with the largest sum of ``weights`` (greedy over the matroid).

        Ties go to the question first in the file, so the result is deterministic. Returns
        question indices in file order; fewer than :attr:`size` only for a pool that cannot fill
        its slots (which the loader refuses).
        """
        fitting = [
            [g for g in range(len(self.groups)) if self.fits(q, g)] for q in range(len(self.points))
        ]
        members: list[set[int]] = [set() for _ in self.groups]

        def place(question: int, seen: set[int]) -> bool:
            # Put ``question`` in a group with room, moving placed questions along an
            # augmenting path if needed; each group is visited once per search.
            for group in fitting[question]:
                if group in seen:
                    continue
                seen.add(group)
                if len(members[group]) < self.groups[group][1] or any(
                    move(other, group, seen) for other in sorted(members[group])
                ):
                    members[group].add(question)
                    return True
            return False

        def move(question: int, group: int, seen: set[int]) -> bool:
            if place(question, seen):
                members[group].discard(question)
                return True
            return False

        chosen: list[int] = []
        order = sorted(range(len(self.points)), key=lambda q: -weights[q])
        for question in order:
            if len(chosen) == self.size:
                break
            if place(question, set()):
                chosen.append(question)
        return tuple(sorted(chosen))

    def highest_share(
        self, counted: Sequence[bool], limit: Fraction
    ) -> tuple[Fraction, tuple[int, ...]] | None:
        """The draw giving the ``counted`` questions the highest share of the points, with that
        share, if it is above ``limit`` (a fraction of 1); ``None`` when every draw is within.
        """

        def weights(share: Fraction) -> list[Fraction]:
            return [p * (int(c) - share) for p, c in zip(self.points, counted, strict=True)]

        def value(draw: tuple[int, ...], share: Fraction) -> Fraction:
            given = weights(share)
            return sum((given[q] for q in draw), Fraction(0))

        draw = self.best_draw(weights(limit))
        if not draw or value(draw, limit) <= 0:
            return None
        while True:
            share = self.share(draw, counted)
            better = self.best_draw(weights(share))
            if value(better, share) <= 0:
                return share, draw
            draw = better

    def share(self, draw: Sequence[int], counted: Sequence[bool]) -> Fraction:
        total = sum(self.points[q] for q in draw)
        return Fraction(sum(self.points[q] for q in draw if counted[q]), total)


@dataclass(frozen=True)
class Breach:
    """A possible draw that breaks one bound of a rule."""

    rule: ShareRule
    #: "min" or "max".
    bound: str
    #: The tag's share of the draw's points, as a fraction of 1.
    share: Fraction
    #: Question indices in file order.
    draw: tuple[int, ...]


def worst_draws(pool: Pool, rules: Sequence[ShareRule]) -> list[Breach]:
    """For each bound of each rule, the possible draw that breaks it the most, if any does."""
    breaches = []
    for rule in rules:
        carrying = [rule.tag in tags for tags in pool.tags]
        if rule.maximum is not None:
            found = pool.highest_share(carrying, Fraction(rule.maximum) / 100)
            if found is not None:
                breaches.append(Breach(rule, "max", found[0], found[1]))
        if rule.minimum is not None:
            # The lowest share of the tag is the highest share of the other questions.
            others = [not carries for carries in carrying]
            found = pool.highest_share(others, 1 - Fraction(rule.minimum) / 100)
            if found is not None:
                breaches.append(Breach(rule, "min", 1 - found[0], found[1]))
    return breaches
