"""Build the labelled training corpus from situations.yaml: `python -m services.router.training.generate_corpus`.

Seeded and deterministic: the same situations give the same corpus.jsonl. Each situation is written in
the styles of the channels (WhatsApp-short, tweets with @mentions and hashtags, long e-mails with
greeting and sign-off, KCC agent shorthand, web form, page comments), with dialect spellings, missing
punctuation and typos. Situations are keyed by category (categories.yaml); `label` is the category's
department in the default mapping. The split holds out whole object groups per category (see
build_corpus): a test message is never a rewording of a training message, and often names its object with
words no training message used.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from services.contract.categories import NO_CATEGORY
from services.contract.departments import load_routing_config
from services.runtime.settings import DEFAULT_DEPARTMENTS_FILE

HERE = Path(__file__).parent
SITUATIONS = HERE / "situations.yaml"
CORPUS = HERE / "corpus.jsonl"
SEED = 20251122
TEST_SHARE = 0.2
VARIANTS_PER_SITUATION = 5

# Many distinct street names, so no name becomes a feature of a department by chance.
STREETS = [f"{a}{b}" for a in ("Kerk", "Molen", "Dorps", "Kanaal", "Bilt", "Juliana", "Stations", "Vleutense",
                               "Amsterdamse", "Beatrix", "Linden", "Eiken", "Zuider", "Noorder", "Havens", "School",
                               "Markt", "Wilhelmina", "Oranje", "Tuin")
           for b in ("straat", "weg", "laan", "kade", "plein", "singel", "straatweg")]
PLACES = ["het station", "het winkelcentrum", "de Jaarbeurs", "het Ledig Erf", "de Neude", "het gemeentehuis",
          "de basisschool", "het park", "de markt", "de sporthal"]
NAMES = ["Jan de Vries", "Fatima El Amrani", "P. Bakker", "Sanne Jansen", "Mehmet Yilmaz", "Anna Kowalska",
         "Kees van Dijk", "Noor", "mevr. De Boer", "R. Pinas"]
TAGS = {"afval": ["afval", "vuilnis", "zwerfafval"], "verkeer": ["verkeer", "parkeren", "fiets"],
        "burgerzaken": ["paspoort", "gemeente"], "openbare_ruimte": ["groen", "buurt"],
        "overlast": ["overlast", "buurt"], "belastingen": ["woz", "belasting"], "werk_inkomen": ["bijstand"],
        "zorg_wmo": ["wmo", "zorg"], "geen": ["gemeente"]}

NL_FRAMES = {
    "whatsapp": ["{s}", "{s}!", "hoi {s}", "Goedemorgen, {s}", "{s} 🙁", "{s}?? graag reactie", "hallo gemeente, {s}",
                 "{s}. groetjes", "Hoi! {S}"],
    "twitter": ["@gemeente {s} #{tag}", "Hé @gemeente, {s}. Wanneer wordt dit opgelost?", "{S} @gemeente",
                ".@gemeente {s}! Al weken hetzelfde #{tag}", "@gemeente {s} 😡", "@GemeenteUtrecht {s}"],
    "facebook": ["{S}. Wanneer gaan jullie hier iets aan doen?", "{S}", "Even een vraag: {s}?", "{S}. Echt schandalig."],
    "instagram": ["@gemeente {s}", "{S} 🙏", "{s} #{tag}"],
    "email": ["Geachte heer/mevrouw,\n\n{S}. {extra}\n\nMet vriendelijke groet,\n{name}",
              "Beste gemeente,\n\n{S}.\nKunt u mij laten weten wat ik kan doen?\n\nGroeten,\n{name}",
              "Goedendag,\n\nIk schrijf u omdat {s}. {extra}\n\nHoogachtend,\n{name}\n\nVerzonden vanaf mijn iPhone"],
    "webform": ["{S}.", "{S}. Graag een reactie.", "{S}. {extra}", "Vraag: {s}"],
    "kcc": ["Burger belt: {k}.", "Mw. belt ivm {k}. Terugbelverzoek.", "Dhr. aan balie: {k}, doorverwezen.",
            "Tel. contact: {k}. Uitgelegd via website.", "Klant belt, {k}. Zaak aangemaakt."],
}
EN_FRAMES = {
    "whatsapp": ["{s}", "Hi, {s}", "hello, {s}. please help"],
    "twitter": ["@gemeente {s} #{tag}", "Hey @gemeente {s}"],
    "email": ["Dear sir/madam,\n\n{S}.\n\nKind regards,\n{name}"],
    "webform": ["{S}.", "Question: {s}"],
}
OTHER_FRAMES = {"whatsapp": ["{s}", "{s}!"], "webform": ["{S}."], "email": ["{S}.\n\n{name}"]}
EXTRAS = ["Ik hoop dat u hier snel iets aan doet.", "Dit is al de tweede keer dat ik dit meld.",
          "Alvast bedankt voor uw reactie.", "Ik woon hier al twintig jaar en dit is nog nooit gebeurd.",
          "Mijn buren hebben hetzelfde probleem.", ""]
SHORTHAND = [("paspoort", "pp"), ("meneer", "dhr"), ("mevrouw", "mw"), ("telefoon", "tel"),
             ("in verband met", "ivm"), ("afspraak", "afspr"), ("aanvragen", "aanvr."), ("gemeente", "gem."),
             ("ik wil ", "wil "), ("mijn ", "zijn "), ("ik heb ", "heeft "), ("ik ben ", "is "), ("wij ", "ze ")]
DIALECT = [(" niet ", " nie "), (" even ", " ff "), (" het ", " ut "), (" wat ", " wa "), (" dat ", " da "),
           (" ik ", " k "), (" een ", " n "), (" heel ", " erg "), (" weet ", " wee ")]


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def vary(text: str, rng: random.Random, channel: str) -> str:
    if channel in ("whatsapp", "twitter", "instagram", "facebook") and rng.random() < 0.35:
        padded = f" {text} "
        for standard, dialect in DIALECT:
            if rng.random() < 0.6:
                padded = padded.replace(standard, dialect)
        text = padded.strip()
    if rng.random() < 0.4:
        text = " ".join(typo(w, rng) if rng.random() < 0.12 else w for w in text.split(" "))
    if channel == "whatsapp" and rng.random() < 0.3:
        text = text.lower().replace(",", "").replace(".", "")
    return text


def fill(situation: str, rng: random.Random) -> str:
    return situation.replace("{straat}", rng.choice(STREETS)).replace("{plek}", rng.choice(PLACES))


def render(situation: str, department: str, language: str, channel: str, rng: random.Random) -> str:
    frames = {"nl": NL_FRAMES, "en": EN_FRAMES}.get(language, OTHER_FRAMES)[channel]
    core = fill(situation, rng)
    shorthand = core
    for long, short in SHORTHAND:
        shorthand = shorthand.replace(long, short)
    text = rng.choice(frames).format(
        s=core, S=core[:1].upper() + core[1:], k=shorthand, tag=rng.choice(TAGS.get(department, TAGS["geen"])),
        name=rng.choice(NAMES), extra=rng.choice(EXTRAS),
    )
    return vary(text, rng, channel)


def situation_items(situations: dict) -> list[tuple[str, str, str, str]]:
    """(category, language, text, group) for every situation. A situation is a string, or a mapping with
    `text`, an `object` group (the thing it is about: all synonyms of one thing share it) and `lang`."""
    items = []
    for category in sorted(situations):
        section = situations[category]
        entries = section if isinstance(section, list) else [
            {"text": s, "lang": language} if isinstance(s, str) else {**s, "lang": language}
            for language in ("nl", "en", "other") for s in section.get(language, [])
        ]
        for index, entry in enumerate(entries):
            entry = {"text": entry} if isinstance(entry, str) else entry
            group = entry.get("object") or f"situation-{index:03d}"
            items.append((category, entry.get("lang", "nl"), entry["text"], f"{category}/{group}"))
    return items


def build_corpus(seed: int = SEED) -> list[dict]:
    """Every situation in the channels' styles. The split holds out whole groups per category: an object
    group (all wordings of one thing, e.g. kliko / grijze container) where the situation names one, else
    the situation itself, so the test asks whether the model generalises to words it never trained on."""
    rng = random.Random(seed)
    situations = yaml.safe_load(SITUATIONS.read_text(encoding="utf-8"))
    department_of = {**load_routing_config(DEFAULT_DEPARTMENTS_FILE).department_of, NO_CATEGORY: "geen"}
    items = situation_items(situations)
    test_groups: set[str] = set()
    for category in sorted({c for c, _, _, _ in items}):
        groups = sorted({g for c, _, _, g in items if c == category})
        rng.shuffle(groups)
        test_groups.update(groups[: max(1, round(len(groups) * TEST_SHARE))] if len(groups) > 1 else [])
    corpus = []
    for index, (category, language, situation, group) in enumerate(items):
        language = language if language in ("nl", "en") else "other"
        department = department_of.get(category, "geen")
        channels = list({"nl": NL_FRAMES, "en": EN_FRAMES}.get(language, OTHER_FRAMES))
        # Short reports are how most people write: fewer channel frames, more of them bare.
        variants = VARIANTS_PER_SITUATION if language == "nl" else 5
        # Each situation in a different sample of the channels' styles (all seven over the corpus).
        picked = rng.sample(channels, min(variants, len(channels)))
        for variant in range(variants):
            channel = picked[variant] if variant < len(picked) else rng.choice(channels)
            corpus.append({
                "id": f"{category}-{index:04d}-{variant}",
                "text": render(situation, department, language, channel, rng),
                "channel": channel,
                "category": category,
                "label": department,
                "language": language,
                "situation": f"{category}-{index:04d}",
                "group": group,
                "split": "test" if group in test_groups else "train",
            })
    return corpus


def main() -> None:
    corpus = build_corpus()
    with open(CORPUS, "w", encoding="utf-8") as handle:
        for item in corpus:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    test = sum(1 for item in corpus if item["split"] == "test")
    print(f"wrote {len(corpus)} messages ({test} test, {len(corpus) - test} train) to {CORPUS}")


if __name__ == "__main__":
    main()
