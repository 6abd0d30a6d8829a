"""The language of a Kokoro voice is read from its name, as the first-run dialog and doctor need it."""

from desktop_assistant.tts.voices import english_voices, languages_of, voice_language


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
