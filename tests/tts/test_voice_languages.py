"""The language of a Kokoro voice is read from its name, as the first-run dialog and doctor need it."""

from desktop_assistant.tts.voices import english_voices, languages_of, voice_language, voice_to_use


def test_the_first_letter_names_the_language():
    assert voice_language("af_heart") == "American English"
    assert voice_language("bm_george") == "British English"
    assert voice_language("jf_alpha") == "Japanese"
    assert voice_language("zm_yunxi") == "Mandarin Chinese"


def test_names_outside_the_scheme_are_unknown():
    assert voice_language("my-voice") == "an unknown language"
    assert voice_language("a") == "an unknown language"
    assert voice_language("ax_heart") == "an unknown language"


def test_the_packaged_japanese_voices_speak_no_english():
    names = ["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"]
    assert languages_of(names) == ["Japanese"]
    assert english_voices(names) == []


def test_a_full_voices_file_has_english_voices_in_order():
    names = ["af_heart", "jf_alpha", "bm_daniel", "ff_siwis"]
    assert english_voices(names) == ["af_heart", "bm_daniel"]
    assert languages_of(names) == ["American English", "British English", "French", "Japanese"]


def test_an_english_user_leaves_the_packaged_japanese_voice_for_an_english_one():
    full = ["af_bella", "af_heart", "bm_daniel", "jf_alpha"]
    assert voice_to_use("jf_alpha", full, english=True) == "af_heart"
    assert voice_to_use("bm_daniel", full, english=True) == "bm_daniel"
    assert voice_to_use("jf_alpha", full, english=False) == "jf_alpha"
    assert voice_to_use("my_voice", ["ff_siwis", "bm_george"], english=True) == "bm_george"


def test_a_file_with_no_english_voice_keeps_a_voice_it_has():
    packaged = ["jf_alpha", "jf_gongitsune", "jm_kumo"]
    assert voice_to_use("af_heart", packaged, english=True) == "jf_alpha"
    assert voice_to_use("jm_kumo", packaged, english=True) == "jm_kumo"
