"""Runners: what takes many articles through the engine and writes one record per article.

A layer above the engine and below the interfaces (``_interfaces``). Every runner makes its records and
writes them through ``records`` (one typed record, one locked sink with resume and repair, one way to
compare ids), so their outputs are interchangeable:

- ``batch``: ``extract_many`` / ``aextract_many``, bounded concurrency on one event loop;
- ``processes``: the same over forked processes (``extract_many(processes=N)``);
- ``cluster``: Ray Data actors (public as ``summit_extract.ray``);
- ``openai_batch``: the OpenAI Batch API (submit, status, collect);
- ``reading``: the articles as items, from files, folders, JSONL, Parquet or stdin.
"""
