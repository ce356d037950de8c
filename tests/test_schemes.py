from ilner.data.schemes import (
    Chunk, chunks, chunks_to_iob2, detect_scheme, fix_iob2, hyphenate, iob2_to_bioes, split_tag, to_iob2_prefix,
)


def test_split_tag():
    assert split_tag("B-NEP") == ("B", "NEP")
    assert split_tag("O") == ("O", "")
    assert split_tag("NETI") == ("", "NETI")
    assert split_tag("I-NEAR") == ("I", "NEAR")


def test_detect_scheme():
    assert detect_scheme(["B-NEP", "I-NEP", "O"]) == "iob2"
    assert detect_scheme(["I-NEP", "I-NEP", "B-NEP", "O"]) == "iob1"
    assert detect_scheme(["S-NEP", "O", "B-NEL", "E-NEL"]) == "bioes"
    assert detect_scheme(["U-NEP", "O", "B-NEL", "L-NEL"]) == "bioes"
    assert detect_scheme(["NEP", "NEP", "O"]) == "io"
    assert detect_scheme(["NEP", "I-NEP", "O"]) == "io"
    assert detect_scheme(["B-NEP", "NEP", "O", "I-NEL"]) == "iob2"  # a bare tag is noise here, not IO
    assert detect_scheme(["I-NEP", "NEP", "B-NEP", "O"]) == "iob1"
    assert detect_scheme(["O", "O"]) == "iob2"
    assert detect_scheme(["I-NEP", "I-NEP", "O", "I-NEL"]) == "io"  # IO written with I- prefixes


def _to_iob2(tags):
    out = [to_iob2_prefix(t) for t in tags]
    fix_iob2(out)
    return out


def test_io_to_iob2():
    assert _to_iob2(["NEP", "NEP", "O", "NEL", "NEO"]) == ["B-NEP", "I-NEP", "O", "B-NEL", "B-NEO"]


def test_iob1_to_iob2():
    # IOB1 uses B- only between two adjacent entities of one type.
    assert _to_iob2(["I-NEP", "I-NEP", "B-NEP", "O", "I-NEL"]) == ["B-NEP", "I-NEP", "B-NEP", "O", "B-NEL"]


def test_bioes_and_bilou_to_iob2():
    expected = ["B-NEP", "B-NEL", "I-NEL", "I-NEL", "O"]
    assert _to_iob2(["S-NEP", "B-NEL", "I-NEL", "E-NEL", "O"]) == expected
    assert _to_iob2(["U-NEP", "B-NEL", "I-NEL", "L-NEL", "O"]) == expected


def test_iob2_bioes_round_trip():
    iob2 = ["B-NEP", "B-NEL", "I-NEL", "I-NEL", "O", "B-NEN", "B-NEN", "I-NEN"]
    bioes = iob2_to_bioes(iob2)
    assert bioes == ["S-NEP", "B-NEL", "I-NEL", "E-NEL", "O", "S-NEN", "B-NEN", "E-NEN"]
    assert _to_iob2(bioes) == iob2


def test_fix_iob2_reports_positions():
    tags = ["O", "I-NEP", "I-NEP", "I-NEL", "B-NEL", "I-NEL"]
    assert fix_iob2(tags) == [1, 3]
    assert tags == ["O", "B-NEP", "I-NEP", "B-NEL", "B-NEL", "I-NEL"]


def test_strict_and_conlleval_chunks_differ_on_stray_inside_tags():
    tags = ["I-NEP", "I-NEP", "O", "B-NEL", "I-NEO", "B-NEN", "I-NEN"]
    assert chunks(tags, "strict") == [Chunk("NEL", 3, 4), Chunk("NEN", 5, 7)]
    assert chunks(tags, "conlleval") == [
        Chunk("NEP", 0, 2), Chunk("NEL", 3, 4), Chunk("NEO", 4, 5), Chunk("NEN", 5, 7),
    ]


def test_chunks_to_iob2_inverts_chunks():
    tags = ["B-NEP", "I-NEP", "O", "B-NEL", "B-NEL"]
    assert chunks_to_iob2(len(tags), chunks(tags)) == tags


def test_hyphenate_reads_iob_tags_written_without_a_hyphen():
    assert [hyphenate(t) for t in ["BNEP", "INEO", "BED", "O", "B-NEL", "B"]] == ["B-NEP", "I-NEO", "B-ED", "O", "B-NEL", "B"]
