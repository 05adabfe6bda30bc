"""Public ids: prefix, 20 base62 characters, unique, every character equally likely, and no
two processes forked from one another handing out the same ids."""

import collections
import multiprocessing
import string

from vectis import ids


def test_an_id_is_its_prefix_and_20_base62_characters():
    value = ids.new_public_id("ord")
    assert value.startswith("ord_") and len(value) == 24
    assert set(value[4:]) <= set(string.ascii_letters + string.digits)


def test_ids_are_unique_and_every_character_is_equally_likely():
    many = [ids.new_public_id("x") for _ in range(20_000)]
    assert len(set(many)) == 20_000
    counts = collections.Counter(ch for value in many for ch in value[2:])
    expected = 20_000 * 20 / 62
    assert len(counts) == 62
    # Chi-square over 61 degrees of freedom: p = 1e-6 at about 128.8 (Wilson-Hilferty). The
    # bound was 100.9 (p = 0.001) and failed once by chance on 2026-12-04, so it was raised to
    # one false failure in a million runs; a modulo bias (256 % 62) would make the first 8
    # characters 4/3 as likely and push this over 2,000, far past either bound.
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    assert chi2 < 128.8, chi2


def _child_ids(queue):
    queue.put([ids.new_public_id("c") for _ in range(50)])


def test_forked_processes_do_not_repeat_the_parents_buffered_bytes():
    ids.new_public_id("p")  # the parent's buffer now holds unused bytes
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_child_ids, args=(queue,)) for _ in range(2)]
    for child in children:
        child.start()
    got = [queue.get(timeout=30) for _ in children]
    for child in children:
        child.join(timeout=30)
    parent = [ids.new_public_id("c") for _ in range(50)]
    suffixes = [value[2:] for value in got[0] + got[1] + parent]
    assert len(set(suffixes)) == 150
