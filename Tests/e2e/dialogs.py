"""The capture dialog the bot tests drive, and what it must leave in the store (SkavBot.docc/Conversation.md)."""

from __future__ import annotations

from dataclasses import dataclass

ONE_LINER = "Det tar för lång tid att boka tolk till hembesök, vi väntar ofta en vecka."
SECOND_IDEA = "Vi skriver samma uppgifter i tre olika system när en brukare flyttar."


def has(text: str, needle: str) -> bool:
    """Whether the bot's text says `needle`, in any case."""
    return needle.casefold() in text.casefold()


@dataclass(frozen=True)
class Step:
    text: str
    replies: int  # exactly this many bot messages answer it
    note: str = ""


# First idea of a new person, in a fresh database.
CAPTURE = [
    Step(ONE_LINER, 2, "greeting with the public-records notice; then 'draft #1' + who-benefits question"),
    Step("1", 1, "who benefits: 1 = residents → solution question"),
    Step("hoppa", 1, "skip the solution → challenge question"),
    Step("1", 1, "challenge 1 = integration → summary card"),
    Step("skicka", 1, "submit → which unit? (asked once)"),
    Step("1", 1, "unit 1 = Socialtjänst → thanks with #1"),
]

EXPECTED_IDEA_1 = {
    "number": 1,
    "stage": "inkommen",
    "problem": ONE_LINER,
    "benefits": "residents",
    "solution": None,  # skipped: null or empty
    "challenge": "integration",
    "unit": "Socialtjänst",
}

# Fields of a stored idea that must be identical across crash scenarios (times are not).
STABLE_FIELDS = ("number", "title", "problem", "benefits", "solution", "challenge", "unit", "stage", "author")


def check_idea(idea: dict, expected: dict, author: str) -> None:
    for key, want in expected.items():
        got = idea.get(key)
        if key == "solution" and want is None:
            assert got in (None, ""), f"idea {idea.get('number')}: solution should be empty, got {got!r}"
        else:
            assert got == want, f"idea {idea.get('number')}: {key} should be {want!r}, got {got!r}\n{idea}"
    assert idea.get("author") == author, f"author should be {author}, got {idea.get('author')!r}"
    assert idea.get("title"), f"idea {idea.get('number')} has no title: {idea}"
