"""Data-subject rights (LGPD art. 18), the use cases over every other package: export and erasure.

It sits above ``compliance`` (audit, consent), ``identity``, ``accounts``, ``metrics_query`` and
``signals`` because it reads or deletes what each of them holds; none of them imports it.
"""
