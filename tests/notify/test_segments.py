"""SMS segment counting: GSM-7 160/153, extension characters count double, UCS-2 70/67."""

from tracker.notify.segments import segments, sms_length


def test_plain_text_fits_160_in_one_segment_then_153_each():
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert sms_length("Hello £5 @ home").encoding == "GSM-7"


def test_gsm_extension_characters_count_double():
    assert sms_length("€").units == 2
    assert segments("€" * 80) == 1
    assert segments("€" * 81) == 2
    assert sms_length("[x]{y}^~|\\").units == 18
    assert segments("a" * 159 + "[") == 2


def test_an_escape_pair_is_never_split_across_segments():
    # 152 plain characters then '€': it cannot straddle the 153-unit boundary.
    assert segments("a" * 152 + "€" + "a" * 152) == 3


def test_one_non_gsm_character_switches_the_whole_text_to_ucs2():
    assert sms_length("Hello ’quoted’").encoding == "UCS-2"
    assert segments("ł" * 70) == 1
    assert segments("ł" * 71) == 2
    assert segments("ł" * 134) == 2
    assert segments("ł" * 135) == 3
    assert sms_length("😀").units == 2


def test_empty_text_has_no_segments():
    assert segments("") == 0
