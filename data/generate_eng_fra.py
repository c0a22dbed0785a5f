#!/usr/bin/env python3
"""Generate ``data/eng-fra.tsv``: synthetic English→French sentence pairs.

The pairs come from a small hand-written grammar and lexicon (below), not from any
external corpus.  The grammar covers, on the French side:

* gender and number: le/la/l'/les, un/une/des, noun plurals (cheval/chevaux,
  journal/journaux, oiseau/oiseaux, souris/souris), adjective agreement including
  irregular forms (beau/belle/bel/beaux, vieux/vieille/vieil, nouveau/nouvel,
  blanc/blanche, frais/fraîche, heureux/heureuse, cher/chère, gentil/gentille);
* elision (l'homme, j'aime, n'aime, qu'il, d'eau) and contractions (au/aux, du/des);
* adjective position (petit, grand, vieux, jeune, beau, nouveau, bon before the
  noun; the others after it);
* determiners: definite, indefinite, partitive (du pain, de l'eau), generic
  definite after "aimer" (I like cats → J'aime les chats), possessives
  (mon/ma/mes, son/sa/ses, notre/nos, leur/leurs, with "mon école"), numbers,
  and "de" + noun for a possessor (the boy's dog → le chien du garçon);
* present tense of regular -er verbs (incl. acheter: achète/achetons) and of
  être, avoir, aller, faire, prendre, voir, vouloir, boire, lire for all persons;
* passé composé with avoir (a mangé, a pris, a vu, a bu, a lu, a fait);
* negation ne ... pas, with "pas de" replacing un/une/des/du/de la after a
  negated transitive verb (Il n'a pas de voiture);
* yes/no questions with "Est-ce que" (Est-ce qu'elle va au marché ?);
* vouloir + infinitive, être + adjective, être + place, aller à + place.

French questions end with " ?" (plain space, then "?"), the most frequent
convention in the Tatoeba/ManyThings fra.txt.  Apostrophes are ASCII (').

Usage (regenerates the committed file exactly)::

    python data/generate_eng_fra.py                      # same as:
    python data/generate_eng_fra.py --out data/eng-fra.tsv --seed 13 --pairs 4000

Only the Python standard library is used; the output is a deterministic function
of ``--seed`` and ``--pairs``.  Tests can load this file via importlib and call
``generate_pairs(n, seed)``.
"""

import argparse
import random
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

DEFAULT_SEED = 13
DEFAULT_PAIRS = 4000
DEFAULT_OUT = Path(__file__).resolve().parent / "eng-fra.tsv"
MIN_LEN = 10  # characters, each side
MAX_LEN = 50

# ---------------------------------------------------------------------------
# Lexicon
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Noun:
    key: str
    en: str
    en_pl: str
    fr: str
    fr_pl: str
    gender: str  # "m" or "f"
    mass: bool = False  # uncountable: du pain, de l'eau (never plural here)
    idiom: bool = False  # "to school", "at church": no English article in a place phrase


NOUNS: dict[str, Noun] = {}


def _n(key, en, en_pl, fr, fr_pl, gender, mass=False, idiom=False):
    NOUNS[key] = Noun(key, en, en_pl, fr, fr_pl, gender, mass, idiom)
    return key


PEOPLE = (
    _n("man", "man", "men", "homme", "hommes", "m"),
    _n("woman", "woman", "women", "femme", "femmes", "f"),
    _n("boy", "boy", "boys", "garçon", "garçons", "m"),
    _n("girl", "girl", "girls", "fille", "filles", "f"),
    _n("child", "child", "children", "enfant", "enfants", "m"),
    _n("father", "father", "fathers", "père", "pères", "m"),
    _n("mother", "mother", "mothers", "mère", "mères", "f"),
    _n("brother", "brother", "brothers", "frère", "frères", "m"),
    _n("sister", "sister", "sisters", "sœur", "sœurs", "f"),
    _n("teacher", "teacher", "teachers", "professeur", "professeurs", "m"),
    _n("doctor", "doctor", "doctors", "médecin", "médecins", "m"),
    _n("neighbor", "neighbor", "neighbors", "voisin", "voisins", "m"),
    _n("friend", "friend", "friends", "ami", "amis", "m"),
)
KIN = ("father", "mother", "brother", "sister", "friend")

ANIMALS = (
    _n("dog", "dog", "dogs", "chien", "chiens", "m"),
    _n("cat", "cat", "cats", "chat", "chats", "m"),
    _n("horse", "horse", "horses", "cheval", "chevaux", "m"),
    _n("bird", "bird", "birds", "oiseau", "oiseaux", "m"),
    _n("mouse", "mouse", "mice", "souris", "souris", "f"),
    _n("rabbit", "rabbit", "rabbits", "lapin", "lapins", "m"),
    _n("cow", "cow", "cows", "vache", "vaches", "f"),
    _n("elephant", "elephant", "elephants", "éléphant", "éléphants", "m"),
)
PETS = ("dog", "cat", "horse", "bird", "mouse", "rabbit")
SMALL_ANIMALS = ("dog", "cat", "bird", "mouse", "rabbit")
BIG_ANIMALS = ("horse", "cow", "elephant")

FOOD_COUNT = (
    _n("apple", "apple", "apples", "pomme", "pommes", "f"),
    _n("orange", "orange", "oranges", "orange", "oranges", "f"),
    _n("banana", "banana", "bananas", "banane", "bananes", "f"),
    _n("egg", "egg", "eggs", "œuf", "œufs", "m"),
    _n("cake", "cake", "cakes", "gâteau", "gâteaux", "m"),
    _n("carrot", "carrot", "carrots", "carotte", "carottes", "f"),
)
FOOD_MASS = (
    _n("bread", "bread", "-", "pain", "-", "m", mass=True),
    _n("cheese", "cheese", "-", "fromage", "-", "m", mass=True),
    _n("soup", "soup", "-", "soupe", "-", "f", mass=True),
    _n("fish", "fish", "-", "poisson", "-", "m", mass=True),
    _n("chocolate", "chocolate", "-", "chocolat", "-", "m", mass=True),
)
DRINKS = (
    _n("water", "water", "-", "eau", "-", "f", mass=True),
    _n("milk", "milk", "-", "lait", "-", "m", mass=True),
    _n("coffee", "coffee", "-", "café", "-", "m", mass=True),
    _n("tea", "tea", "-", "thé", "-", "m", mass=True),
    _n("juice", "orange juice", "-", "jus d'orange", "-", "m", mass=True),
)
FOOD = FOOD_COUNT + FOOD_MASS
ANIMAL_FOOD = ("bread", "cheese", "apple", "carrot", "fish", "banana")
_HERBIVORE = ("bread", "apple", "carrot", "banana")
DIET = {  # what each animal may eat, like or want among ANIMAL_FOOD
    "dog": ("bread", "cheese", "fish"), "cat": ("fish", "cheese"), "mouse": ("cheese", "bread", "apple"),
    "bird": ("bread", "apple"), "rabbit": ("carrot", "apple", "bread"),
    "horse": _HERBIVORE, "cow": _HERBIVORE, "elephant": _HERBIVORE,
}
ANIMAL_DRINKS = ("water", "milk")

OBJECTS = (
    _n("book", "book", "books", "livre", "livres", "m"),
    _n("newspaper", "newspaper", "newspapers", "journal", "journaux", "m"),
    _n("car", "car", "cars", "voiture", "voitures", "f"),
    _n("bike", "bike", "bikes", "vélo", "vélos", "m"),
    _n("bus", "bus", "buses", "bus", "bus", "m"),
    _n("train", "train", "trains", "train", "trains", "m"),
    _n("hat", "hat", "hats", "chapeau", "chapeaux", "m"),
    _n("dress", "dress", "dresses", "robe", "robes", "f"),
    _n("shirt", "shirt", "shirts", "chemise", "chemises", "f"),
    _n("watch", "watch", "watches", "montre", "montres", "f"),
    _n("key", "key", "keys", "clé", "clés", "f"),
    _n("pen", "pen", "pens", "stylo", "stylos", "m"),
    _n("bag", "bag", "bags", "sac", "sacs", "m"),
    _n("box", "box", "boxes", "boîte", "boîtes", "f"),
    _n("umbrella", "umbrella", "umbrellas", "parapluie", "parapluies", "m"),
    _n("ball", "ball", "balls", "ballon", "ballons", "m"),
    _n("table", "table", "tables", "table", "tables", "f"),
    _n("chair", "chair", "chairs", "chaise", "chaises", "f"),
    _n("bed", "bed", "beds", "lit", "lits", "m"),
    _n("computer", "computer", "computers", "ordinateur", "ordinateurs", "m"),
    _n("door", "door", "doors", "porte", "portes", "f"),
    _n("window", "window", "windows", "fenêtre", "fenêtres", "f"),
    _n("painting", "painting", "paintings", "tableau", "tableaux", "m"),
    _n("film", "film", "films", "film", "films", "m"),
    _n("radio", "radio", "radios", "radio", "radios", "f"),
    _n("song", "song", "songs", "chanson", "chansons", "f"),
    _n("flower", "flower", "flowers", "fleur", "fleurs", "f"),
    _n("house", "house", "houses", "maison", "maisons", "f"),
)

PLACES = (
    _n("school", "school", "schools", "école", "écoles", "f", idiom=True),
    _n("church", "church", "churches", "église", "églises", "f", idiom=True),
    _n("market", "market", "markets", "marché", "marchés", "m"),
    _n("park", "park", "parks", "parc", "parcs", "m"),
    _n("beach", "beach", "beaches", "plage", "plages", "f"),
    _n("station", "station", "stations", "gare", "gares", "f"),
    _n("library", "library", "libraries", "bibliothèque", "bibliothèques", "f"),
    _n("hospital", "hospital", "hospitals", "hôpital", "hôpitaux", "m"),
    _n("restaurant", "restaurant", "restaurants", "restaurant", "restaurants", "m"),
    _n("museum", "museum", "museums", "musée", "musées", "m"),
    _n("store", "store", "stores", "magasin", "magasins", "m"),
    _n("garden", "garden", "gardens", "jardin", "jardins", "m"),
    _n("kitchen", "kitchen", "kitchens", "cuisine", "cuisines", "f"),
    _n("field", "field", "fields", "champ", "champs", "m"),
    # Only used bare in place phrases: "at work" = "au travail", "at home" = "à la maison".
    _n("work", "work", "-", "travail", "-", "m", idiom=True),
    _n("home", "home", "-", "maison", "-", "f", idiom=True),
)
FIXED_PLACES = ("work", "home")  # never modified (no adjective, possessive, plural)
DESTINATIONS = (
    "school", "church", "market", "park", "beach", "station", "library", "hospital",
    "restaurant", "museum", "store", "garden", "work",
)
OWNED_PLACES = ("school", "garden", "kitchen", "field")  # my school; not "our market"
PLURAL_OK_DEST = ("store", "museum", "restaurant", "park")


@dataclass(frozen=True)
class Adjective:
    key: str  # the English word
    forms: tuple[str, str, str, str]  # masc sg, fem sg, masc pl, fem pl
    pre: bool  # placed before the noun
    alt: str | None  # masc sg form before a vowel (bel, vieil, nouvel)
    attr: tuple[str, ...]  # nouns it may modify inside a noun phrase
    pred: tuple[str, ...]  # nouns (and "PRON" for personal pronouns) for "X is ADJ"

    def form(self, gender: str, plural: bool) -> str:
        return self.forms[(2 if plural else 0) + (1 if gender == "f" else 0)]


ADJ: dict[str, Adjective] = {}
PRON = "PRON"


def _a(key, forms, pre=False, alt=None, attr=(), pred=None):
    ADJ[key] = Adjective(key, tuple(forms.split()), pre, alt, tuple(attr),
                         tuple(attr if pred is None else pred))


_COLOR_THINGS = ("car", "bike", "hat", "dress", "shirt", "bag", "box", "umbrella", "ball")
_GOOD_THINGS = FOOD + ("milk", "coffee", "tea", "juice", "book", "film", "song", "restaurant")
_CLEANABLE = ("shirt", "dress", "hat", "car", "table", "bed", "kitchen")

_SMALL = (("boy", "girl", "child") + ANIMALS
          + ("car", "bike", "hat", "bag", "box", "table", "chair", "bed", "house", "book", "ball", "cake")
          + ("garden", "park", "restaurant", "museum", "store", "church", "school", "station", "library"))
_a("small", "petit petite petits petites", pre=True, attr=_SMALL, pred=_SMALL + ("man", "woman", PRON))
_a("big", "grand grande grands grandes", pre=True,
   attr=ANIMALS + ("car", "house", "bag", "box", "table", "bed", "ball", "cake")
   + ("garden", "park", "museum", "store", "school", "library", "hospital", "restaurant", "station"))
# "tall" is only predicative: "un grand homme" would mean "a great man".
_a("tall", "grand grande grands grandes", pre=True, attr=(), pred=PEOPLE + (PRON,))
_OLD = ("man", "woman", "teacher", "doctor", "neighbor", "friend", "dog", "cat", "horse", "elephant",
        "car", "bike", "book", "hat", "table", "chair", "bed", "house", "computer", "radio", "painting",
        "church", "school", "museum", "station", "library", "hospital", "restaurant")
_a("old", "vieux vieille vieux vieilles", pre=True, alt="vieil", attr=_OLD, pred=_OLD + (PRON,))
_YOUNG = ("man", "woman", "teacher", "doctor", "neighbor", "dog", "cat", "horse", "elephant")
_a("young", "jeune jeune jeunes jeunes", pre=True, attr=_YOUNG,
   pred=_YOUNG + ("boy", "girl", "mother", "father", "brother", "sister", "friend", PRON))
_a("beautiful", "beau belle beaux belles", pre=True, alt="bel",
   attr=("woman", "horse", "bird", "cat", "dog", "car", "dress", "hat", "house", "flower", "painting",
         "watch", "bike", "garden", "park", "beach", "church", "museum"))
_a("new", "nouveau nouvelle nouveaux nouvelles", pre=True, alt="nouvel",
   attr=("friend", "teacher", "neighbor", "doctor", "car", "bike", "book", "hat", "dress", "shirt",
         "watch", "computer", "bag", "umbrella", "ball", "house", "radio", "pen", "table", "chair", "bed",
         "school", "museum", "store", "restaurant", "library", "hospital", "film", "song"),
   pred=())  # predicative "new" is "neuf/neuve" for objects: left out
_a("good", "bon bonne bons bonnes", pre=True, attr=_GOOD_THINGS + ("doctor", "teacher"), pred=_GOOD_THINGS)
_a("black", "noir noire noirs noires",
   attr=("dog", "cat", "horse", "bird", "rabbit", "cow") + _COLOR_THINGS
   + ("pen", "table", "chair", "computer", "watch"))
_a("white", "blanc blanche blancs blanches",
   attr=("dog", "cat", "horse", "bird", "mouse", "rabbit", "cow") + _COLOR_THINGS
   + ("table", "chair", "door", "house", "flower"))
_a("gray", "gris grise gris grises",
   attr=("cat", "horse", "mouse", "rabbit", "elephant", "car", "hat", "bag", "box", "shirt", "dress"))
_a("red", "rouge rouge rouges rouges", attr=_COLOR_THINGS + ("pen", "door", "flower", "apple"))
_a("blue", "bleu bleue bleus bleues", attr=_COLOR_THINGS + ("pen", "door", "flower"))
_a("green", "vert verte verts vertes", attr=_COLOR_THINGS + ("door", "apple"))
_FEELERS = ("man", "woman", "boy", "girl", "child")
_a("happy", "heureux heureuse heureux heureuses", attr=_FEELERS, pred=PEOPLE + ("dog", PRON))
_a("sad", "triste triste tristes tristes", attr=_FEELERS, pred=PEOPLE + (PRON,))
_a("tired", "fatigué fatiguée fatigués fatiguées", attr=_FEELERS + ("dog", "horse"),
   pred=PEOPLE + ANIMALS + (PRON,))
_a("sick", "malade malade malades malades", attr=_FEELERS + ("dog", "cat", "horse", "cow"),
   pred=PEOPLE + ANIMALS + (PRON,))
_a("kind", "gentil gentille gentils gentilles", attr=(), pred=PEOPLE + ("dog", "horse", PRON))
_a("busy", "occupé occupée occupés occupées", attr=(), pred=PEOPLE + (PRON,))
_a("lazy", "paresseux paresseuse paresseux paresseuses", attr=("boy", "girl", "child", "cat", "dog"),
   pred=PEOPLE + ("cat", "dog", "horse", PRON))
_a("expensive", "cher chère chers chères",
   attr=("car", "bike", "hat", "dress", "shirt", "watch", "computer", "house", "painting", "restaurant",
         "bag"),
   pred=("car", "bike", "hat", "dress", "shirt", "watch", "computer", "house", "painting", "restaurant",
         "bag", "cake", "book"))
_a("heavy", "lourd lourde lourds lourdes", attr=("bag", "box", "table", "chair", "computer", "book"))
_a("hot", "chaud chaude chauds chaudes", attr=("soup", "coffee", "tea", "milk", "water"))
_a("cold", "froid froide froids froides", attr=("soup", "coffee", "tea", "milk", "water", "juice"))
_a("fresh", "frais fraîche frais fraîches",
   attr=("bread", "cheese", "fish", "egg", "apple", "orange", "banana", "carrot", "milk", "juice"))
_a("clean", "propre propre propres propres", attr=_CLEANABLE, pred=_CLEANABLE + ("house",))
_a("dirty", "sale sale sales sales", attr=_CLEANABLE, pred=_CLEANABLE + ("dog", "cat", "horse"))

PRONOUNS = {
    # key: (English, person/number slot 0..5, gender for agreement)
    "je": ("I", 0, "m"),
    "tu": ("you", 1, "m"),
    "il": ("he", 2, "m"),
    "elle": ("she", 2, "f"),
    "nous": ("we", 3, "m"),
    "vous": ("you", 4, "m"),
    "ils": ("they", 5, "m"),
    "elles": ("they", 5, "f"),
}

POSSESSIVES = {
    # English: (masc sg, fem sg, plural)
    "my": ("mon", "ma", "mes"),
    "his": ("son", "sa", "ses"),
    "her": ("son", "sa", "ses"),
    "our": ("notre", "notre", "nos"),
    "their": ("leur", "leur", "leurs"),
}
NUMBERS = {"two": "deux", "three": "trois", "four": "quatre"}

# French conjugation: present (je, tu, il, nous, vous, ils), past participle (None: no past here).
CONJ = {
    "aimer": (("aime", "aimes", "aime", "aimons", "aimez", "aiment"), None),
    "manger": (("mange", "manges", "mange", "mangeons", "mangez", "mangent"), "mangé"),
    "boire": (("bois", "bois", "boit", "buvons", "buvez", "boivent"), "bu"),
    "regarder": (("regarde", "regardes", "regarde", "regardons", "regardez", "regardent"), "regardé"),
    "chercher": (("cherche", "cherches", "cherche", "cherchons", "cherchez", "cherchent"), "cherché"),
    "trouver": (("trouve", "trouves", "trouve", "trouvons", "trouvez", "trouvent"), "trouvé"),
    "acheter": (("achète", "achètes", "achète", "achetons", "achetez", "achètent"), "acheté"),
    "porter": (("porte", "portes", "porte", "portons", "portez", "portent"), "porté"),
    "écouter": (("écoute", "écoutes", "écoute", "écoutons", "écoutez", "écoutent"), "écouté"),
    "parler": (("parle", "parles", "parle", "parlons", "parlez", "parlent"), "parlé"),
    "jouer": (("joue", "joues", "joue", "jouons", "jouez", "jouent"), "joué"),
    "fermer": (("ferme", "fermes", "ferme", "fermons", "fermez", "ferment"), "fermé"),
    "être": (("suis", "es", "est", "sommes", "êtes", "sont"), None),
    "avoir": (("ai", "as", "a", "avons", "avez", "ont"), None),
    "aller": (("vais", "vas", "va", "allons", "allez", "vont"), None),
    "faire": (("fais", "fais", "fait", "faisons", "faites", "font"), "fait"),
    "prendre": (("prends", "prends", "prend", "prenons", "prenez", "prennent"), "pris"),
    "voir": (("vois", "vois", "voit", "voyons", "voyez", "voient"), "vu"),
    "vouloir": (("veux", "veux", "veut", "voulons", "voulez", "veulent"), None),
    "lire": (("lis", "lis", "lit", "lisons", "lisez", "lisent"), "lu"),
}


@dataclass(frozen=True)
class Verb:
    key: str  # English sense
    fr: str  # French infinitive (key of CONJ)
    en_base: str
    en_3sg: str
    en_past: str | None  # None: no past tense generated for this sense
    fr_prep: str | None  # "à" (parler à), "avec" (jouer avec) or None (direct object)
    objs: tuple[str, ...]  # objects with a human subject
    animal_objs: tuple[str, ...] = ()  # objects with an animal subject (empty: humans only)
    weight: int = 5
    every_day: bool = False  # may take "every day" / "tous les jours"


_SMALL_THINGS = ("key", "pen", "bag", "book", "hat", "watch", "umbrella", "ball")
_BUYABLE = ("book", "newspaper", "car", "bike", "hat", "dress", "shirt", "watch", "umbrella", "ball",
            "table", "chair", "bed", "computer", "painting", "radio", "flower", "house", "bag", "pen")
_LIKEABLE = ("film", "song", "flower", "painting", "book", "car", "house", "ball", "park", "beach",
             "garden", "school", "museum")
_FRIENDS = ("child", "boy", "girl", "brother", "sister", "friend")

VERBS: dict[str, Verb] = {}


def _v(*args, **kw):
    v = Verb(*args, **kw)
    VERBS[v.key] = v


_v("like", "aimer", "like", "likes", None, None,
   FOOD + DRINKS + ANIMALS + PEOPLE + _LIKEABLE,
   ANIMAL_FOOD + ANIMAL_DRINKS + ("ball", "boy", "girl", "child"), weight=8)
_v("eat", "manger", "eat", "eats", "ate", None, FOOD, ANIMAL_FOOD, weight=8, every_day=True)
_v("drink", "boire", "drink", "drinks", "drank", None, DRINKS, ANIMAL_DRINKS, weight=6, every_day=True)
_v("watch", "regarder", "watch", "watches", "watched", None, PEOPLE + ANIMALS + ("film",),
   PEOPLE + ("bird", "mouse"), weight=4, every_day=True)
_v("look_at", "regarder", "look at", "looks at", "looked at", None,
   ("painting", "flower", "car", "house", "book", "dress", "hat"), weight=3)
_v("look_for", "chercher", "look for", "looks for", "looked for", None,
   PEOPLE + PETS + _SMALL_THINGS + ("station", "library", "market", "museum"),
   ("ball", "boy", "girl", "child", "mouse", "bird"), weight=5)
_v("find", "trouver", "find", "finds", "found", None, _SMALL_THINGS + PETS + ("newspaper",),
   ("ball", "bread", "cheese", "mouse"), weight=4)
_v("buy", "acheter", "buy", "buys", "bought", None, FOOD + DRINKS + _BUYABLE, weight=7, every_day=True)
_v("carry", "porter", "carry", "carries", "carried", None,
   ("bag", "box", "book", "umbrella", "chair", "table", "computer", "ball"), weight=3)
_v("wear", "porter", "wear", "wears", "wore", None, ("hat", "dress", "shirt", "watch"), weight=4,
   every_day=True)
_v("listen_to", "écouter", "listen to", "listens to", "listened to", None,
   PEOPLE + ("radio", "song", "bird"), PEOPLE, weight=4, every_day=True)
_v("talk_to", "parler", "talk to", "talks to", "talked to", "à", PEOPLE + PETS, weight=5, every_day=True)
_v("play_with", "jouer", "play with", "plays with", "played with", "avec",
   _FRIENDS + PETS + ("ball",), ("ball", "boy", "girl", "child", "dog", "cat"), weight=5, every_day=True)
_v("close", "fermer", "close", "closes", "closed", None, ("door", "window", "book", "box", "bag"), weight=3)
_v("have", "avoir", "have", "has", None, None,
   PETS + ("brother", "sister", "friend", "car", "bike", "book", "hat", "dress", "key", "pen", "bag",
           "watch", "umbrella", "ball", "computer", "house", "radio"), weight=8)
_v("make", "faire", "make", "makes", "made", None, ("cake", "soup", "bread", "coffee", "tea"), weight=4,
   every_day=True)
_v("take", "prendre", "take", "takes", "took", None,
   ("bus", "train", "key", "pen", "bag", "book", "umbrella", "apple", "orange", "banana", "ball",
    "newspaper", "cake"), weight=5, every_day=True)
_v("see", "voir", "see", "sees", "saw", None,
   PEOPLE + ANIMALS + ("car", "bus", "train", "house", "flower", "painting", "film")
   + ("school", "church", "station", "beach", "park", "museum", "market"),
   PEOPLE + ANIMALS + ("ball",), weight=8)
_v("want", "vouloir", "want", "wants", None, None,
   FOOD + DRINKS + ("book", "car", "bike", "hat", "dress", "watch", "ball", "computer", "house", "flower"),
   ANIMAL_FOOD + ANIMAL_DRINKS + ("ball",), weight=6)
_v("read", "lire", "read", "reads", "read", None, ("book", "newspaper"), weight=5, every_day=True)
# Not sampled as plain transitive verbs: built by their own templates.
_v("be", "être", "be", "is", None, None, ())
_v("go", "aller", "go", "goes", None, "à", ())

INFINITIVES = ("eat", "drink", "see", "buy", "read", "play_with", "talk_to", "make", "take", "watch", "go")
ANIMAL_INFINITIVES = ("eat", "drink", "play_with", "see")

# Places for "X is <prep> the Y": (English preposition, French preposition, nouns).
LOC_PREPS = {"in": "dans", "on": "sur", "under": "sous", "at": "à"}
PERSON_LOCS = (
    [("in", n) for n in ("garden", "house", "kitchen", "car", "park")]
    + [("at", n) for n in ("school", "church", "home", "work", "market", "station", "hospital", "beach",
                           "library", "museum", "restaurant", "store")]
)
SMALL_ANIMAL_LOCS = (
    [("in", n) for n in ("garden", "house", "kitchen", "box")]
    + [(p, n) for p in ("on", "under") for n in ("table", "chair", "bed")]
)
BIG_ANIMAL_LOCS = [("in", n) for n in ("field", "park", "garden")]
THING_LOCS = (
    [(p, n) for p in ("on", "under") for n in ("table", "chair", "bed")]
    + [("in", n) for n in ("bag", "box", "car", "kitchen", "house")]
)
FOOD_LOCS = [("on", "table"), ("in", "kitchen"), ("in", "bag"), ("in", "box")]
LOCATED_THINGS = ("book", "key", "pen", "bag", "umbrella", "ball", "hat", "watch", "newspaper", "computer",
                  "radio", "box")
LOCATED_FOOD = ("apple", "orange", "banana", "egg", "cake", "carrot", "bread", "cheese", "chocolate",
                "milk", "water", "juice")

# ---------------------------------------------------------------------------
# Sentence structures
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NP:
    """A noun phrase.  det: pron | def | indef | part | gen | my/his/her/our/their | two/three/four."""

    noun: str  # noun key, or pronoun key when det == "pron"
    det: str = "def"
    plural: bool = False
    adj: str | None = None
    # possessor: "the boy's dog" = "le chien du garçon".  Optional["NP"] rather than a string
    # annotation, so that dataclasses work when a test loads this file with importlib.
    owner: Optional["NP"] = None


@dataclass(frozen=True)
class Loc:
    prep: str  # in | on | under | at | to
    np: NP


@dataclass(frozen=True)
class Clause:
    subj: NP
    verb: str  # key of VERBS
    obj: NP | None = None
    adj: str | None = None  # be + adjective
    loc: Loc | None = None  # be + place, go + destination (also for an infinitive "go")
    inf: str | None = None  # want + infinitive: key of VERBS
    past: bool = False
    neg: bool = False
    question: bool = False
    time: str | None = None  # "every day" (present) | "yesterday" (past)


def _slot(np: NP) -> int:
    if np.det == "pron":
        return PRONOUNS[np.noun][1]
    return 5 if np.plural else 2


def _gender(np: NP) -> str:
    if np.det == "pron":
        return PRONOUNS[np.noun][2]
    return NOUNS[np.noun].gender


def _is_plural(np: NP) -> bool:
    if np.det == "pron":
        return PRONOUNS[np.noun][1] >= 3
    return np.plural


# ---------------------------------------------------------------------------
# English rendering
# ---------------------------------------------------------------------------


def _a_an(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def en_np(np: NP) -> str:
    if np.det == "pron":
        return PRONOUNS[np.noun][0]
    n = NOUNS[np.noun]
    head = n.en_pl if np.plural else n.en
    if np.adj:
        head = f"{np.adj} {head}"
    if np.owner is not None:
        owner = en_np(np.owner)
        return f"{owner}' {head}" if owner.endswith("s") and np.owner.plural else f"{owner}'s {head}"
    if np.det == "def":
        return f"the {head}"
    if np.det == "indef":
        return head if np.plural else f"{_a_an(head)} {head}"
    if np.det in ("part", "gen"):
        return head
    if np.det in POSSESSIVES or np.det in NUMBERS:
        return f"{np.det} {head}"
    raise ValueError(f"unknown determiner {np.det!r}")


def en_place(loc: Loc) -> str:
    np = loc.np
    plain = np.det == "def" and not np.plural and np.adj is None and np.owner is None
    if plain and NOUNS[np.noun].idiom:
        return f"{loc.prep} {NOUNS[np.noun].en}"  # to school, at church, at home, at work
    return f"{loc.prep} {en_np(np)}"


def en_complement(verb: Verb, cl: Clause) -> str:
    if verb.key == "be":
        return cl.adj if cl.adj else en_place(cl.loc)
    if verb.key == "go":
        return en_place(Loc("to", cl.loc.np))
    if cl.inf and verb.key == "want":
        inner = VERBS[cl.inf]
        return f"to {inner.en_base} {en_complement(inner, Clause(cl.subj, inner.key, cl.obj, loc=cl.loc))}"
    return en_np(cl.obj)


def en_sentence(cl: Clause) -> str:
    verb = VERBS[cl.verb]
    slot = _slot(cl.subj)
    subj = en_np(cl.subj)
    comp = en_complement(verb, cl)
    if cl.time:
        comp = f"{comp} {cl.time}"
    if verb.key == "be":
        be = ("am", "are", "is", "are", "are", "are")[slot]
        if cl.question:
            words = [be, subj, comp]
        elif cl.neg:
            words = [subj, be, "not", comp]
        else:
            words = [subj, be, comp]
    else:
        aux = "did" if cl.past else ("does" if slot == 2 else "do")
        if cl.question:
            words = [aux, subj, verb.en_base, comp]
        elif cl.neg:
            words = [subj, aux, "not", verb.en_base, comp]
        else:
            form = verb.en_past if cl.past else (verb.en_3sg if slot == 2 else verb.en_base)
            words = [subj, form, comp]
    text = " ".join(words)
    return text[0].upper() + text[1:] + ("?" if cl.question else ".")


# ---------------------------------------------------------------------------
# French rendering
# ---------------------------------------------------------------------------

_VOWELS = "aeiouyhàâäéèêëîïôöùûüœ"  # every h-word in this lexicon has a mute h
_ELIDE = {"le": "l'", "la": "l'", "de": "d'", "ne": "n'", "je": "j'", "que": "qu'"}
_CONTRACT = {("à", "le"): "au", ("à", "les"): "aux", ("de", "le"): "du", ("de", "les"): "des"}


def _starts_vowel(word: str) -> bool:
    return word[0].lower() in _VOWELS


def fr_np(np: NP, neg_de: bool = False) -> list[str]:
    """French tokens of a noun phrase (before elision/contraction).

    neg_de: the phrase is the direct object of a negated verb, where un/une/des and the
    partitive become "de" (Il n'a pas de voiture, Je ne bois pas d'eau).
    """
    if np.det == "pron":
        return [np.noun]
    n = NOUNS[np.noun]
    g, pl = n.gender, np.plural
    noun = n.fr_pl if pl else n.fr
    core = [noun]
    if np.adj:
        a = ADJ[np.adj]
        form = a.form(g, pl)
        if a.pre:
            if a.alt and g == "m" and not pl and _starts_vowel(noun):
                form = a.alt  # un vieil homme, un bel oiseau, un nouvel ordinateur
            core = [form, noun]
        else:
            core = [noun, form]
    det = "def" if np.owner is not None else np.det
    if det in ("def", "gen"):
        art = ["les"] if pl else ["le" if g == "m" else "la"]
    elif det == "indef":
        art = ["de"] if neg_de else (["des"] if pl else ["un" if g == "m" else "une"])
    elif det == "part":
        art = ["de"] if neg_de else ["de", "le" if g == "m" else "la"]
    elif det in POSSESSIVES:
        ms, fs, p = POSSESSIVES[det]
        # ma/ta/sa become mon/ton/son before a vowel: mon école, son orange.
        art = [p] if pl else [ms if g == "m" or _starts_vowel(core[0]) else fs]
    elif det in NUMBERS:
        art = [NUMBERS[det]]
    else:
        raise ValueError(f"unknown determiner {det!r}")
    toks = art + core
    if np.owner is not None:
        toks += ["de"] + fr_np(np.owner)
    return toks


def fr_finish(tokens: list[str]) -> str:
    """Apply elision, then contraction, then join."""
    elided = []
    for i, t in enumerate(tokens):
        if t in _ELIDE and i + 1 < len(tokens) and _starts_vowel(tokens[i + 1]):
            t = _ELIDE[t]
        elided.append(t)
    out: list[str] = []
    i = 0
    while i < len(elided):
        pair = tuple(elided[i:i + 2])
        if pair in _CONTRACT:
            out.append(_CONTRACT[pair])
            i += 2
        else:
            out.append(elided[i])
            i += 1
    text = ""
    for t in out:
        if text and not text.endswith("'"):
            text += " "
        text += t
    return text


def fr_complement(verb: Verb, cl: Clause, neg: bool) -> list[str]:
    if verb.key == "be":
        if cl.adj:
            return [ADJ[cl.adj].form(_gender(cl.subj), _is_plural(cl.subj))]
        return [LOC_PREPS[cl.loc.prep]] + fr_np(cl.loc.np)
    if verb.key == "go":
        return ["à"] + fr_np(cl.loc.np)
    if cl.inf and verb.key == "want":
        inner = VERBS[cl.inf]
        return [inner.fr] + fr_complement(inner, Clause(cl.subj, inner.key, cl.obj, loc=cl.loc), neg)
    if verb.fr_prep:
        return [verb.fr_prep] + fr_np(cl.obj)
    return fr_np(cl.obj, neg_de=neg)


def fr_sentence(cl: Clause) -> str:
    verb = VERBS[cl.verb]
    slot = _slot(cl.subj)
    toks = fr_np(cl.subj)
    if cl.past:
        aux = CONJ["avoir"][0][slot]
        pp = CONJ[verb.fr][1]
        assert pp is not None, verb.key
        toks += ["ne", aux, "pas", pp] if cl.neg else [aux, pp]
    else:
        form = CONJ[verb.fr][0][slot]
        toks += ["ne", form, "pas"] if cl.neg else [form]
    toks += fr_complement(verb, cl, cl.neg)
    if cl.time == "every day":
        toks += ["tous", "les", "jours"]
    elif cl.time == "yesterday":
        toks += ["hier"]
    if cl.question:
        toks = ["est-ce", "que"] + toks
    text = fr_finish(toks)
    return text[0].upper() + text[1:] + (" ?" if cl.question else ".")


def render(cl: Clause) -> tuple[str, str]:
    return en_sentence(cl), fr_sentence(cl)


# ---------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------


def _pick(rng: random.Random, weighted: list[tuple[object, float]]):
    items = [w[0] for w in weighted]
    weights = [w[1] for w in weighted]
    return rng.choices(items, weights=weights, k=1)[0]


def _maybe_adj(rng: random.Random, noun: str, det: str, plural: bool, p: float) -> str | None:
    if noun in FIXED_PLACES or rng.random() >= p:
        return None
    options = [a.key for a in ADJ.values() if noun in a.attr]
    if det == "part" or (det == "indef" and plural):
        # Avoid "des/du + prenominal adjective" (written French wants "de beaux chevaux").
        options = [k for k in options if not ADJ[k].pre]
    return rng.choice(options) if options else None


SINGULAR_ONLY = ("father", "mother")  # "my mothers" would be odd
POSSESSABLE_PEOPLE = KIN + ("teacher", "neighbor", "doctor", "child")  # my teacher; not "my man"
PLURAL_POSS_PEOPLE = ("brother", "sister", "friend", "child")  # my sisters; not "my doctors"


def _plural_ok(noun: str) -> bool:
    return not NOUNS[noun].mass and noun not in SINGULAR_ONLY and noun not in FIXED_PLACES


_FAMILY = ("father", "mother", "brother", "sister")


def _owner(rng: random.Random, exclude: str) -> NP:
    # Not "my sister's mother" (= my mother): relatives are owned by non-relatives.
    # Nor "the boy's child": a child's owner is an adult.
    noun = rng.choice([p for p in PEOPLE if p != exclude and not (exclude in KIN and p in _FAMILY)
                       and not (exclude == "child" and p in ("boy", "girl"))])
    if noun in KIN:
        return NP(noun, rng.choice(list(POSSESSIVES)))
    return NP(noun, "def", plural=_plural_ok(noun) and rng.random() < 0.25)


def sample_pronoun(rng: random.Random, allow_je: bool = True) -> NP:
    people = ["I", "you", "he", "she", "we", "they"] if allow_je else ["you", "he", "she", "we", "they"]
    en = rng.choice(people)
    key = {
        "I": "je", "he": "il", "she": "elle", "we": "nous",
        # English "you" and "they" do not show number/gender: either French reading is right.
        "you": rng.choice(["tu", "vous"]), "they": rng.choice(["ils", "elles"]),
    }[en]
    return NP(key, "pron")


def _people_options(noun: str, role: str, verb: str | None) -> list[tuple[str, float]]:
    if noun in KIN:
        opts = [("poss", 66), ("owner", 16), ("def", 12), ("def_pl", 6)]
    elif noun in POSSESSABLE_PEOPLE:
        opts = [("def", 45), ("def_pl", 20), ("poss", 15), ("owner", 8)]
    else:
        opts = [("def", 60), ("def_pl", 30)]
    if role == "subj" and noun not in KIN:
        opts.append(("gen", 5))
    if role == "obj" and noun not in KIN and verb in ("see", "watch", "look_for", "talk_to"):
        opts.append(("indef", 12))
    return opts


def _np_from_kind(rng: random.Random, noun: str, kind: str, adj_p: float) -> NP:
    n = NOUNS[noun]
    owner = None
    plural = False
    if kind == "def":
        det = "def"
    elif kind == "def_pl":
        det, plural = "def", True
    elif kind == "gen":
        det, plural = "gen", not n.mass
    elif kind == "indef":
        det = "part" if n.mass else "indef"
    elif kind == "indef_pl":
        det, plural = "indef", True
    elif kind == "part":
        det = "part"
    elif kind == "num":
        det, plural = rng.choice(list(NUMBERS)), True
    else:  # poss / owner
        if kind == "poss":
            det = rng.choice(list(POSSESSIVES))
        else:
            det, owner = "def", _owner(rng, noun)
        plural = (_plural_ok(noun) and noun not in PLACES
                  and (noun not in PEOPLE or noun in PLURAL_POSS_PEOPLE) and rng.random() < 0.2)
    if plural and not _plural_ok(noun):
        plural = False
    adj = _maybe_adj(rng, noun, det, plural, adj_p)
    return NP(noun, det, plural, adj, owner)


def sample_subject_np(rng: random.Random, noun: str, generic_ok: bool = True, adj_p: float = 0.15) -> NP:
    """A definite-ish subject noun phrase for a person, animal or thing."""
    if noun in PEOPLE:
        options = _people_options(noun, "subj", None)
    else:
        options = [("def", 55)]
        if noun in PETS or noun in OBJECTS or noun in FOOD or noun in DRINKS or noun in OWNED_PLACES:
            options += [("poss", 12)]  # my dog, my car; not "my elephant", "her beach"
        if _plural_ok(noun):
            options += [("def_pl", 20)]
            if noun in ANIMALS:
                options += [("gen", 6)]
        if noun in PETS or noun in OBJECTS:
            options += [("owner", 8)]
    if not generic_ok or not _plural_ok(noun):
        options = [o for o in options if o[0] != "gen"]
    if not _plural_ok(noun):
        options = [o for o in options if o[0] != "def_pl"]
    return _np_from_kind(rng, noun, _pick(rng, options), adj_p)


def sample_object_np(rng: random.Random, verb: str, noun: str, generic_subject: bool = False,
                     animal_subject: bool = False) -> NP:
    n = NOUNS[noun]
    if generic_subject:
        # "Cats drink milk", "Children like cats": a generic subject takes a generic object.
        if verb == "like":
            options = [("gen", 100)]
        else:
            options = [("part", 100)] if n.mass else [("indef_pl", 100)]
    elif noun in PEOPLE:
        options = _people_options(noun, "obj", verb)
        if verb == "have":
            options = [("indef", 70), ("num", 30)]
    elif verb == "like":
        if n.mass:
            options = [("def", 30), ("gen", 50), ("poss", 12), ("owner", 8)]
        else:
            options = [("def", 35), ("def_pl", 8), ("gen", 35), ("poss", 14), ("owner", 8)]
    elif verb == "have":
        if noun in PETS:
            options = [("indef", 60), ("indef_pl", 15), ("num", 25)]
        else:
            options = [("indef", 60), ("indef_pl", 10), ("num", 15), ("def", 15)]
    elif noun in ("bus", "train"):
        options = [("def", 100)]
    elif noun in PLACES:
        options = [("def", 70)]
        if noun in OWNED_PLACES:
            options += [("poss", 20), ("owner", 10)]
    elif noun in ("radio", "song", "film"):
        options = [("def", 60), ("indef", 25 if noun != "radio" else 0), ("poss", 15)]
    elif noun in ("door", "window"):
        options = [("def", 70), ("def_pl", 20), ("poss", 10)]
    elif n.mass:
        options = [("def", 35), ("part", 45), ("poss", 12), ("owner", 8)]
    else:
        options = [("def", 30), ("def_pl", 10), ("indef", 25), ("indef_pl", 12), ("poss", 12), ("owner", 6)]
        if verb in ("see", "buy", "eat", "want", "take"):
            options += [("num", 6)]
    if not _plural_ok(noun):
        options = [o for o in options if o[0] not in ("def_pl", "indef_pl", "num")]
    if animal_subject:  # "the dog wants the bread", not "... her father's bread"
        options = [o for o in options if o[0] not in ("poss", "owner")] or [("def", 100)]
    return _np_from_kind(rng, noun, _pick(rng, [o for o in options if o[1] > 0]), 0.25)


def sample_place_np(rng: random.Random, noun: str, plural_ok: bool = False) -> NP:
    if noun in FIXED_PLACES:
        return NP(noun, "def")
    poss = 14 if noun in OWNED_PLACES or noun in OBJECTS else 0
    kind = _pick(rng, [o for o in [("def", 80), ("poss", poss), ("def_pl", 6 if plural_ok else 0)] if o[1]])
    if kind == "poss":
        np = NP(noun, rng.choice(list(POSSESSIVES)))
    else:
        np = NP(noun, "def", plural=kind == "def_pl")
    adj = _maybe_adj(rng, noun, np.det, np.plural, 0.1)
    return NP(np.noun, np.det, np.plural, adj)


def _human_or_animal_subject(rng: random.Random, animals_ok: bool, allow_je: bool, generic_ok: bool) -> NP:
    r = rng.random()
    if r < 0.42:
        return sample_pronoun(rng, allow_je)
    if animals_ok and r < 0.68:
        return sample_subject_np(rng, rng.choice(ANIMALS), generic_ok)
    return sample_subject_np(rng, rng.choice(PEOPLE), generic_ok)


def _is_animal(np: NP) -> bool:
    return np.det != "pron" and np.noun in ANIMALS


def _object_pool(verb: Verb, subj: NP) -> list[str]:
    if _is_animal(subj):
        diet = DIET[subj.noun]
        return [o for o in verb.animal_objs if o != subj.noun and (o not in ANIMAL_FOOD or o in diet)]
    return [o for o in verb.objs if o != subj.noun]


def _polarity(rng: random.Random, subj_is_je: bool) -> tuple[bool, bool]:
    r = rng.random()
    if r < 0.2 and not subj_is_je:
        return False, True  # question
    if r < 0.45:
        return True, False  # negation
    return False, False


def sample_clause(rng: random.Random) -> Clause:
    kind = _pick(rng, [("svo", 52), ("be_adj", 14), ("be_loc", 10), ("go", 12), ("want_inf", 12)])
    if kind == "svo":
        verbs = [v for v in VERBS.values() if v.objs]
        verb = _pick(rng, [(v, v.weight) for v in verbs])
        subj = _human_or_animal_subject(rng, bool(verb.animal_objs), True,
                                        generic_ok=verb.key in ("like", "eat", "drink"))
        noun = rng.choice(_object_pool(verb, subj))
        obj = sample_object_np(rng, verb.key, noun, generic_subject=subj.det == "gen",
                               animal_subject=_is_animal(subj))
        past = verb.en_past is not None and subj.det != "gen" and rng.random() < 0.3
        neg, question = _polarity(rng, subj.noun == "je")
        if past and verb.key == "read" and not neg and not question and _slot(subj) != 2:
            past = False  # "I read the book." is ambiguous between present and past
        time = None
        if rng.random() < 0.12:
            if past:
                time = "yesterday"
            elif verb.every_day:
                time = "every day"
        return Clause(subj, verb.key, obj, past=past, neg=neg, question=question, time=time)

    if kind == "be_adj":
        adj = ADJ[rng.choice([a for a in ADJ if ADJ[a].pred])]
        if PRON in adj.pred and rng.random() < 0.4:
            subj = sample_pronoun(rng, allow_je=True)
        else:
            noun = rng.choice([n for n in adj.pred if n != PRON])
            subj = sample_subject_np(rng, noun, generic_ok=True, adj_p=0.0)
        neg, question = _polarity(rng, subj.noun == "je")
        return Clause(subj, "be", adj=adj.key, neg=neg, question=question)

    if kind == "be_loc":
        r = rng.random()
        if r < 0.45:
            subj = _human_or_animal_subject(rng, False, True, generic_ok=False)
            locs = PERSON_LOCS
        elif r < 0.65:
            noun = rng.choice(ANIMALS)
            subj = sample_subject_np(rng, noun, generic_ok=False)
            locs = BIG_ANIMAL_LOCS if noun in BIG_ANIMALS else SMALL_ANIMAL_LOCS
        elif r < 0.85:
            subj = sample_subject_np(rng, rng.choice(LOCATED_THINGS), generic_ok=False)
            locs = THING_LOCS
        else:
            subj = sample_subject_np(rng, rng.choice(LOCATED_FOOD), generic_ok=False)
            locs = FOOD_LOCS
        prep, noun = rng.choice([pl for pl in locs if pl[1] != subj.noun])
        neg, question = _polarity(rng, subj.noun == "je")
        return Clause(subj, "be", loc=Loc(prep, sample_place_np(rng, noun)), neg=neg, question=question)

    if kind == "go":
        subj = _human_or_animal_subject(rng, False, True, generic_ok=False)
        noun = rng.choice(DESTINATIONS)
        place = sample_place_np(rng, noun, plural_ok=noun in PLURAL_OK_DEST)
        neg, question = _polarity(rng, subj.noun == "je")
        time = "every day" if rng.random() < 0.12 else None
        return Clause(subj, "go", loc=Loc("to", place), neg=neg, question=question, time=time)

    # want + infinitive
    subj = _human_or_animal_subject(rng, True, True, generic_ok=False)
    animal = _is_animal(subj)
    inner = VERBS[rng.choice(ANIMAL_INFINITIVES if animal else INFINITIVES)]
    neg, question = _polarity(rng, subj.noun == "je")
    if inner.key == "go":
        noun = rng.choice(DESTINATIONS)
        return Clause(subj, "want", loc=Loc("to", sample_place_np(rng, noun)), inf="go", neg=neg,
                      question=question)
    noun = rng.choice(_object_pool(inner, subj))
    obj = sample_object_np(rng, inner.key, noun, animal_subject=animal)
    return Clause(subj, "want", obj, inf=inner.key, neg=neg, question=question)


def generate_pairs(n: int = DEFAULT_PAIRS, seed: int = DEFAULT_SEED) -> list[tuple[str, str]]:
    """Return ``n`` unique (English, French) pairs; a pure function of ``n`` and ``seed``."""
    rng = random.Random(seed)
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    attempts = 0
    while len(pairs) < n:
        attempts += 1
        if attempts > 200 * n + 10_000:
            raise RuntimeError(f"could only generate {len(pairs)} unique pairs out of {n}")
        en, fr = render(sample_clause(rng))
        if en in seen:
            continue
        if not (MIN_LEN <= len(en) <= MAX_LEN and MIN_LEN <= len(fr) <= MAX_LEN):
            continue
        seen.add(en)
        pairs.append((en, fr))
    return pairs


# ---------------------------------------------------------------------------
# Self-check and CLI
# ---------------------------------------------------------------------------

_EXPECTED = [
    (Clause(NP("je", "pron"), "like", NP("cat", "gen", True)), "I like cats.", "J'aime les chats."),
    (Clause(NP("man", "def", adj="old"), "eat", NP("bread", "part")),
     "The old man eats bread.", "Le vieil homme mange du pain."),
    (Clause(NP("il", "pron"), "have", NP("car", "indef"), neg=True),
     "He does not have a car.", "Il n'a pas de voiture."),
    (Clause(NP("elle", "pron"), "go", loc=Loc("to", NP("market")), question=True),
     "Does she go to the market?", "Est-ce qu'elle va au marché ?"),
    (Clause(NP("horse", "def", True), "be", adj="white"),
     "The horses are white.", "Les chevaux sont blancs."),
    (Clause(NP("cat", owner=NP("girl")), "be", adj="gray"), "The girl's cat is gray.",
     "Le chat de la fille est gris."),
    (Clause(NP("nous", "pron"), "talk_to", NP("child", "def", True)),
     "We talk to the children.", "Nous parlons aux enfants."),
    (Clause(NP("vous", "pron"), "buy", NP("dress", "indef", adj="white")),
     "You buy a white dress.", "Vous achetez une robe blanche."),
    (Clause(NP("boy"), "eat", NP("apple", "indef"), past=True, neg=True),
     "The boy did not eat an apple.", "Le garçon n'a pas mangé de pomme."),
    (Clause(NP("tu", "pron"), "see", NP("bird", "indef", adj="beautiful"), past=True, question=True),
     "Did you see a beautiful bird?", "Est-ce que tu as vu un bel oiseau ?"),
    (Clause(NP("ils", "pron"), "want", NP("water", "part"), inf="drink", neg=True),
     "They do not want to drink water.", "Ils ne veulent pas boire d'eau."),
    (Clause(NP("mouse"), "be", loc=Loc("under", NP("bed"))), "The mouse is under the bed.",
     "La souris est sous le lit."),
    (Clause(NP("je", "pron"), "be", adj="tired", neg=True), "I am not tired.", "Je ne suis pas fatigué."),
    (Clause(NP("elles", "pron"), "be", adj="happy"), "They are happy.", "Elles sont heureuses."),
    (Clause(NP("woman", "def", True, adj="old"), "like", NP("flower", "gen", True)),
     "The old women like flowers.", "Les vieilles femmes aiment les fleurs."),
    (Clause(NP("elle", "pron"), "read", NP("newspaper", "def", True)),
     "She reads the newspapers.", "Elle lit les journaux."),
    (Clause(NP("je", "pron"), "go", loc=Loc("to", NP("school"))), "I go to school.", "Je vais à l'école."),
    (Clause(NP("il", "pron"), "go", loc=Loc("to", NP("school", "his"))), "He goes to his school.",
     "Il va à son école."),
    (Clause(NP("friend", "my"), "have", NP("computer", "indef", adj="new")),
     "My friend has a new computer.", "Mon ami a un nouvel ordinateur."),
    (Clause(NP("il", "pron"), "drink", NP("milk", "part"), time="every day"),
     "He drinks milk every day.", "Il boit du lait tous les jours."),
    (Clause(NP("sister", "her"), "be", loc=Loc("at", NP("hospital"))),
     "Her sister is at the hospital.", "Sa sœur est à l'hôpital."),
    (Clause(NP("nous", "pron"), "eat", NP("cake"), past=True, time="yesterday"),
     "We ate the cake yesterday.", "Nous avons mangé le gâteau hier."),
    (Clause(NP("elephant"), "eat", NP("bread", "part"), question=True),
     "Does the elephant eat bread?", "Est-ce que l'éléphant mange du pain ?"),
    (Clause(NP("nous", "pron"), "buy", NP("apple", "indef", True)), "We buy apples.",
     "Nous achetons des pommes."),
    (Clause(NP("ils", "pron"), "buy", NP("bread", "part")), "They buy bread.", "Ils achètent du pain."),
    (Clause(NP("je", "pron"), "see", NP("horse", "def", True, owner=NP("man"))),
     "I see the man's horses.", "Je vois les chevaux de l'homme."),
    (Clause(NP("dog", owner=NP("boy", "def", True)), "play_with", NP("ball")),
     "The boys' dog plays with the ball.", "Le chien des garçons joue avec le ballon."),
    (Clause(NP("tu", "pron"), "like", NP("water", "gen"), neg=True),
     "You do not like water.", "Tu n'aimes pas l'eau."),
    (Clause(NP("vous", "pron"), "want", loc=Loc("to", NP("park")), inf="go", question=True),
     "Do you want to go to the park?", "Est-ce que vous voulez aller au parc ?"),
    (Clause(NP("je", "pron"), "have", NP("sister", "two", True)), "I have two sisters.", "J'ai deux sœurs."),
    (Clause(NP("girl"), "be", loc=Loc("at", NP("home"))),
     "The girl is at home.", "La fille est à la maison."),
    (Clause(NP("soup", "our"), "be", adj="hot", question=True),
     "Is our soup hot?", "Est-ce que notre soupe est chaude ?"),
    (Clause(NP("car", "their"), "be", adj="expensive", neg=True),
     "Their car is not expensive.", "Leur voiture n'est pas chère."),
    (Clause(NP("je", "pron"), "close", NP("window", "def", True), past=True),
     "I closed the windows.", "J'ai fermé les fenêtres."),
    (Clause(NP("elle", "pron"), "take", NP("bus"), time="every day"),
     "She takes the bus every day.", "Elle prend le bus tous les jours."),
    (Clause(NP("je", "pron"), "eat", NP("egg", "indef"), neg=True), "I do not eat an egg.",
     "Je ne mange pas d'œuf."),
    (Clause(NP("elles", "pron"), "talk_to", NP("man"), past=True, neg=True),
     "They did not talk to the man.", "Elles n'ont pas parlé à l'homme."),
    (Clause(NP("bread"), "be", adj="fresh"), "The bread is fresh.", "Le pain est frais."),
    (Clause(NP("cheese", "my"), "be", adj="fresh", neg=True), "My cheese is not fresh.",
     "Mon fromage n'est pas frais."),
    (Clause(NP("apple", "def", True), "be", adj="fresh"),
     "The apples are fresh.", "Les pommes sont fraîches."),
]


def _self_check() -> None:
    for cl, en, fr in _EXPECTED:
        got = render(cl)
        assert got == (en, fr), f"expected {(en, fr)!r}, got {got!r}"
    # A few global properties of a sample.
    sample = generate_pairs(500, seed=0)
    assert sample == generate_pairs(500, seed=0), "generator is not deterministic"
    for en, fr in sample:
        for s in (en, fr):
            assert s == unicodedata.normalize("NFC", s), s
            assert "\t" not in s and "\n" not in s and "  " not in s, s
            assert s[0].isupper() and s[-1] in ".?", s
        assert fr.endswith(" ?") == en.endswith("?"), (en, fr)
        for bad in (" de le ", " de les ", " à le ", " à les ", " le a", " la a", " le é", " la é",
                    " je a", " ne a", " ne é", "que il", "que elle", " ma é", " sa é", "des petits",
                    "des beaux", "des vieux", "des grands", "des jeunes", "des nouveaux", "des bons"):
            assert bad not in " " + fr.lower(), (bad, fr)


_PAST = re.compile(r"\b(ai|as|a|avons|avez|ont) (pas )?(mangé|bu|regardé|cherché|trouvé|acheté|porté|écouté"
                   r"|parlé|joué|fermé|fait|pris|vu|lu)\b")


def _stats(pairs: list[tuple[str, str]]) -> str:
    n = len(pairs)
    en_mean = sum(len(e) for e, _ in pairs) / n
    fr_mean = sum(len(f) for _, f in pairs) / n
    questions = sum(e.endswith("?") for e, _ in pairs)
    negations = sum(" not " in e for e, _ in pairs)
    past = sum(bool(_PAST.search(f)) for _, f in pairs)
    return (f"pairs={n} mean_len_en={en_mean:.1f} mean_len_fr={fr_mean:.1f} "
            f"max_len_en={max(len(e) for e, _ in pairs)} max_len_fr={max(len(f) for _, f in pairs)} "
            f"questions={questions} negations={negations} passe_compose={past}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output TSV (default: {DEFAULT_OUT})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    ap.add_argument("--pairs", type=int, default=DEFAULT_PAIRS,
                    help=f"number of unique pairs (default: {DEFAULT_PAIRS})")
    args = ap.parse_args(argv)
    _self_check()
    pairs = generate_pairs(args.pairs, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.writelines(f"{en}\t{fr}\n" for en, fr in pairs)
    print(f"wrote {args.out}: {_stats(pairs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
