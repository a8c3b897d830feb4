"""General knowledge as word lists, read by ``meaning``: occupations, businesses of one's own,
and what the things people borrow for are (a van is a car, a boiler a renovation). Plain data: a
bank extends them for its customers' words without touching the rules.
"""

from __future__ import annotations

#: Common occupations (general English): a person naming one is in work.
OCCUPATIONS: frozenset[str] = frozenset("""
accountant actor actress administrator analyst architect artist assistant baker barber barista
bartender builder butcher carer caregiver carpenter cashier chef cleaner clerk coach cook
consultant counsellor counselor courier dentist designer developer director doctor driver
economist editor electrician engineer farmer firefighter fisherman gardener guard hairdresser
journalist janitor labourer laborer lawyer lecturer librarian machinist manager mechanic midwife
miner musician nanny nurse officer optician painter paramedic pharmacist photographer physician
physiotherapist pilot plasterer plumber policeman policewoman porter postman producer professor
programmer psychologist receptionist researcher roofer sailor salesman saleswoman scientist
secretary servant soldier solicitor supervisor surgeon surveyor tailor teacher technician therapist
trader translator tutor vet waiter waitress welder writer warehouse operative paralegal
cashier shopkeeper salesperson courier dispatcher cook dishwasher housekeeper caretaker
""".split())
#: A business of one's own ("I run a small cafe").
OWN_BUSINESS: frozenset[str] = frozenset("""
business company shop store cafe restaurant salon bakery firm practice studio bar pub garage
consultancy agency farm
""".split())

#: Purposes people name without the lexicon's phrases (general knowledge of what a thing is).
PURPOSE_WORDS: dict[str, str] = {
    **dict.fromkeys(("motorbike", "motorcycle", "scooter", "motorhome", "campervan", "caravan", "truck",
                     "pickup", "suv", "jeep", "minivan", "van", "minibus"), "car"),
    # car makes people name instead of "a car" ("a used Toyota"); makes that are also common
    # words (Mini, Seat) are left out
    **dict.fromkeys(("toyota", "honda", "ford", "volkswagen", "vw", "bmw", "audi", "mercedes",
                     "nissan", "hyundai", "kia", "mazda", "subaru", "tesla", "volvo", "peugeot",
                     "renault", "skoda", "fiat", "chevrolet", "chevy", "lexus", "vauxhall", "opel",
                     "citroen", "dacia", "porsche", "land rover", "range rover", "mitsubishi",
                     "suzuki", "jaguar", "alfa romeo", "cupra", "byd"), "car"),
    **dict.fromkeys(("mobility scooter", "wheelchair", "stairlift", "stair lift", "hearing aids",
                     "dentist", "dental", "hospital", "operation", "treatment", "therapy", "ivf",
                     "braces", "hearing aid", "hospital bills", "doctor's bills", "vet bills"), "medical"),
    **dict.fromkeys(("renovation", "renovations", "renovate", "renovating", "remodel", "remodelling",
                     "remodeling", "modernise", "modernize", "roof", "windows", "bathroom", "extension", "loft", "conservatory", "garden",
                     "driveway", "boiler", "refurbish", "refurbishment", "redecorate", "doing up", "do up",
                     "fix up", "redo", "repairs", "new windows", "insulation", "solar panels"), "renovation"),
    **dict.fromkeys(("bakery", "shop", "cafe", "restaurant", "equipment", "stock", "inventory",
                     "startup", "start-up", "my company", "the company", "franchise", "salon",
                     "coffee machine"), "business"),
    **dict.fromkeys(("honeymoon", "travelling", "traveling", "cruise", "backpacking", "abroad"), "travel"),
    **dict.fromkeys(("funeral", "engagement ring", "christening", "moving costs", "furniture", "rent deposit",
                     # things for a home, not the home ("a sofa for the new flat")
                     "sofa", "couch", "wardrobe", "appliances", "white goods", "washing machine", "fridge",
                     "freezer", "cooker", "dishwasher", "television",
                     "security deposit", "rental deposit", "bond for a flat",
                     # getting by until money comes in ("to cover rent until I find something")
                     "cover rent", "cover my rent", "cover the rent", "rent arrears", "behind on rent",
                     "behind on my rent", "cover my bills", "cover the bills", "pay my bills", "pay the bills",
                     "living costs", "living expenses", "make ends meet", "tide me over", "tide us over"), "other"),
    # learning something oneself, said without "my studies" ("a coding bootcamp", "a laptop for uni")
    **dict.fromkeys(("a course", "the course", "this course", "my course", "an online course", "bootcamp", "training course", "tuition", "qualification",
                     "certification", "diploma", "for uni", "for university", "for college"), "education"),
}
