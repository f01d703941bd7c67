"""Extract the summit in the seed article and print it readably.

    python examples/extract_seed.py [ARTICLE] [--published YYYY-MM-DD]

Uses OPENAI_API_KEY / OPENAI_BASE_URL when set, otherwise the embedded local model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from summit_extract import Summit, extract_result

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_fbac82d7d3572f62.txt"


def show(summit: Summit) -> None:
    if not summit.is_summit:
        print("No summit reported in this article.")
    else:
        where = summit.location
        print(f"Summit: {summit.name or '(unnamed)'}")
        if where:
            print(f"  where: {', '.join(x for x in (where.venue, where.city, where.country) if x)}")
        if summit.date:
            print(f"  when:  {summit.date.iso or summit.date.text}")
        if summit.host_country:
            print(f"  host:  {summit.host_country}")
        print("Participants:")
        for p in summit.participants:
            print(f"  - {p.name or '(delegation)'}, {p.title or '?'} ({p.country or '?'})")
    if summit.agreements:
        print("Agreements:")
        for a in summit.agreements:
            print(f"  - [{a.status}] {a.subject} ({', '.join(a.parties)})")
            print(f'      evidence: "{a.evidence}"')
    if summit.disputes:
        print("Disputes:")
        for d in summit.disputes:
            print(f"  - [{d.status}] {d.subject} ({', '.join(d.parties)})")
            print(f'      evidence: "{d.evidence}"')
    if summit.statements:
        print("Statements:")
        for s in summit.statements:
            print(f'  - {s.speaker}: "{s.quote}"')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("article", nargs="?", type=Path, default=SEED)
    parser.add_argument("--published", help="publication date, YYYY-MM-DD, to resolve dates like 'May 7'")
    args = parser.parse_args()
    text = args.article.read_text(encoding="utf-8")
    result = extract_result(text, Summit, published=args.published)
    show(result.value)
    print(
        f"\n{result.backend} model {result.model}: {result.attempts} request(s), "
        f"{result.usage.total_tokens} tokens, {result.seconds:.1f} s"
        + (f", {len(result.dropped)} ungrounded item(s) dropped" if result.dropped else "")
    )


if __name__ == "__main__":
    main()
