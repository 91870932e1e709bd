"""What the guide replays (admin_guide_test.py, msp_guide_test.py) share: how a
guide's fenced blocks are found."""

import re


def fenced_blocks(text):
    """Yields (start, block, prose, section) for each fenced block of a guide:
    start is the index of its first line in the text's lines, block its lines,
    prose the paragraph right before it (joined, stripped at the end) and
    section the number of the last numbered heading above it ("2.8")."""
    lines = text.split("\n")
    section, prose, fresh, i = "", [], True, 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"#+ (\d+(?:\.\d+)?)", line)
        if m:
            section = m.group(1)
        if not line.startswith("```"):
            if line.strip():
                prose = ([] if fresh else prose) + [line]
                fresh = False
            else:
                fresh = True
            i += 1
            continue
        start = i + 1
        i += 1
        while not lines[i].startswith("```"):
            i += 1
        yield start, lines[start:i], " ".join(prose).rstrip(), section
        i += 1
        prose, fresh = [], True
