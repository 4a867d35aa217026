"""The stylesheet keeps its own rules: colours only as tokens, one mobile-first set of breakpoints.

tirage.css is read as text, without a browser: comments and strings are blanked out, then the
declarations after the tokens section are searched for colour literals, and the media queries for
anything but the documented min-width breakpoints.
"""
import re
from pathlib import Path

import pytest

STYLESHEET = Path(__file__).resolve().parents[2] / "static" / "css" / "tirage.css"
SECTIONS = ["Tokens", "Base", "Layout", "Components", "Pages", "Utilities"]

# CSS Color 4's named colours; transparent, currentColor and the CSS-wide keywords are allowed.
NAMED_COLOURS = set("""
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown
burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan
darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid
darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet
deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro
ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki
lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow
lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen lightskyblue lightslategray
lightslategrey lightsteelblue lightyellow lime limegreen linen magenta maroon mediumaquamarine
mediumblue mediumorchid mediumpurple mediumseagreen mediumslateblue mediumspringgreen mediumturquoise
mediumvioletred midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab
orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru
pink plum powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen steelblue tan
teal thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen
""".split())
COLOUR_FUNCTION = re.compile(r"(?<![\w-])(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color|color-mix)\(", re.I)
HEX_COLOUR = re.compile(r"#[0-9a-f]{3,8}\b", re.I)
IDENTIFIER = re.compile(r"(?<![\w-])[a-z][a-z-]*", re.I)


def blank(text: str, pattern: str) -> str:
    """Replace each match with spaces, keeping line numbers and offsets."""
    return re.sub(pattern, lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


@pytest.fixture(scope="module")
def css() -> str:
    return STYLESHEET.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sections(css) -> dict[str, tuple[int, int]]:
    """Each section's (start, end) offsets, from its `/* ==== N. Name` heading."""
    headings = [(m.group(1), m.start()) for m in re.finditer(r"/\* =+ \d\. (\w+)", css)]
    assert [name for name, _ in headings] == SECTIONS, "sections missing or out of order"
    ends = [start for _, start in headings[1:]] + [len(css)]
    return {name: (start, end) for (name, start), end in zip(headings, ends)}


@pytest.fixture(scope="module")
def code(css) -> str:
    """The stylesheet with comments and strings blanked out."""
    return blank(blank(css, r"/\*.*?\*/"), r"\"[^\"\n]*\"|'[^'\n]*'")


def declarations(code: str, start: int = 0, end: int | None = None):
    """(line, property, value) for each declaration inside a rule's braces between the offsets."""
    for block in re.finditer(r"\{([^{}]*)\}", code[start:end]):
        offset = start + block.start(1)
        for decl in re.finditer(r"([-\w]+)\s*:([^;]*)", block.group(1)):
            line = code.count("\n", 0, offset + decl.start()) + 1
            yield line, decl.group(1).lower(), decl.group(2)


def colour_literals(value: str) -> list[str]:
    found = HEX_COLOUR.findall(value) + COLOUR_FUNCTION.findall(value)
    found += [word for word in IDENTIFIER.findall(value) if word.lower() in NAMED_COLOURS]
    return found


def test_colours_are_written_only_as_tokens(code, sections):
    start = sections["Tokens"][1]
    stray = [f"line {line}: {prop}: {value.strip()}"
             for line, prop, value in declarations(code, start)
             if not prop.startswith("--") and colour_literals(value)]
    assert not stray, "colour literals outside the tokens section, use var(--…):\n" + "\n".join(stray)


def test_tokens_section_only_defines_custom_properties(code, sections):
    start, end = sections["Tokens"]
    others = [f"line {line}: {prop}" for line, prop, _ in declarations(code, start, end) if not prop.startswith("--")]
    assert not others


def test_every_token_used_is_defined(code):
    defined = set(re.findall(r"(--[\w-]+)\s*:", code))
    used = set(re.findall(r"var\(\s*(--[\w-]+)", code))
    assert used <= defined, f"undefined tokens: {sorted(used - defined)}"


def test_breakpoints_are_mobile_first_and_documented(css, code, sections):
    start, end = sections["Tokens"]
    documented = set(re.findall(r"^\s*\*\s+(\d+px)\b", css[start:end], flags=re.M))
    assert len(documented) in (2, 3), "the tokens comment lists the two or three breakpoints"
    queries = [(code.count("\n", 0, m.start()) + 1, m.group(1).strip()) for m in re.finditer(r"@media([^{]*)\{", code)]
    assert queries
    for line, query in queries:
        assert "max-width" not in query and "<" not in query, f"line {line}: desktop-first query @media {query}"
        for width in re.findall(r"min-width\s*:\s*([\d.]+\w+)", query):
            assert width in documented, f"line {line}: {width} is not one of the breakpoints {sorted(documented)}"


@pytest.mark.parametrize("value, colours", [
    ("1px solid #e6e0d6", ["#e6e0d6"]),
    ("rgba(36, 86, 201, .25)", ["rgba("]),
    ("0 0 0 2px White inset", ["White"]),
    ("1px solid var(--line)", []),
    ("transparent", []),
    ("currentColor", []),
    ("var(--focus-halo)", []),
    ("repeating-conic-gradient(var(--sand-150) 0% 25%, var(--card) 0% 50%) 50% / 24px 24px", []),
])
def test_colour_literals_are_recognised(value, colours):
    assert colour_literals(value) == colours
