"""Words for synthetic data: comments in three tones, and names for people, places and teams."""

from __future__ import annotations

import random

COMMENTS: dict[str, dict[str, list[str]]] = {
    "ex": {
        "positive": [
            "My team lead really has our backs, best team I have worked in.",
            "Love the new rota, I finally get proper weekends.",
            "Great support from colleagues during the busy season, thank you!",
            "The training this month was excellent and I feel much more confident.",
            "I feel appreciated here. The shout-outs in the morning huddle are lovely.",
            "Good communication from management about the changes, keep it up.",
            "Really happy with the new equipment, it makes the job so much easier.",
            "Proud of how we handled the conference weekend together.",
            "Flexible shifts have made a huge difference to my family life.",
            "Fantastic team spirit, we help each other without being asked.",
        ],
        "neutral": [
            "Mostly fine. The handover notes could be more consistent.",
            "Can we get the schedule two weeks ahead?",
            "The staff room could use a new coffee machine.",
            "Could we have more cross-training between departments?",
            "Will the results of this survey be shared with the team?",
            "Okay month overall, nothing major to report.",
            "The uniforms take a while to come back from the laundry.",
            "Some of the procedures are out of date in the manual.",
            "Can the booking system go on the tablets?",
            "Average month, busy at times, quiet at others.",
        ],
        "negative": [
            "We are always short-staffed at weekends and it is exhausting.",
            "Too much overtime lately, I am exhausted and stressed.",
            "My manager never listens to our concerns. Bad decisions come out of nowhere.",
            "The booking system crashes constantly, it is frustrating and embarrassing.",
            "I feel burnt out. Breaks get cancelled when it gets busy, which is every day.",
            "No recognition at all, good work goes unnoticed and mistakes get shouted about.",
            "Last-minute rota changes make it impossible to plan my life, it is stressful.",
            "Three people left this month and their work was dumped on the rest of us.",
            "Nobody told us about the restructure until it was already happening. Awful.",
            "Broken equipment has been reported for weeks and still not fixed.",
        ],
    },
    "cx": {
        "positive": [
            "Wonderful stay, the front desk team went above and beyond.",
            "Friendly, quick and helpful. Thank you!",
            "Excellent service, the staff remembered our names.",
            "Great food and a lovely, attentive waiter.",
            "The room was spotless and the check-in took two minutes. Perfect.",
            "Support solved my problem on the first call, brilliant.",
            "Really helpful agent, explained everything clearly.",
            "Best hotel experience we have had in years, we will be back.",
            "Lovely staff, fantastic breakfast, great location.",
            "Quick refund and a kind apology, very impressed.",
        ],
        "neutral": [
            "It was okay. Check-in took a little longer than expected.",
            "Room was fine, the Wi-Fi was a bit slow.",
            "Average experience.",
            "Breakfast finished earlier than I thought.",
            "The agent answered my question after a short hold.",
            "Parking instructions could be clearer.",
            "Fine overall, the restaurant was busy.",
            "I had to ask twice for extra towels but they came.",
            "Got what I needed, the website could be simpler.",
            "Decent value for the price.",
        ],
        "negative": [
            "Waited forty minutes to check in and nobody apologised. Terrible.",
            "The room was dirty and the staff were rude when I complained.",
            "I called three times about the same booking and nobody fixed it. Poor service.",
            "Cold food, slow service and a wrong bill. Disappointing.",
            "The agent was rude and hung up on me.",
            "Noisy room, broken shower, and no one came to fix it. Awful stay.",
            "Still waiting for my refund after two weeks. Very frustrating.",
            "Staff seemed stressed and overwhelmed, nobody had time for us.",
            "Booked a quiet room and got one next to the lift. Unacceptable.",
            "Worst customer service I have had, I will not come back.",
        ],
    },
}

FIRST_NAMES = (
    "Aisha Alex Amara Ana Andrei Anika Ben Bianca Carlos Chen Chloe Daniel Dara Diego Elena "
    "Emma Fatima Felix Grace Hana Hugo Ibrahim Imani Isla Jack James Javier Jin Julia Kai "
    "Kenji Laila Leo Liam Lucia Maya Mateo Mei Mia Mohammed Nadia Noah Nora Olivia Omar Priya "
    "Rafael Rosa Ryan Samir Sara Sofia Tariq Theo Uma Victor Wei Yara Yusuf Zoe"
).split()
LAST_NAMES = (
    "Adams Ahmed Alvarez Andersen Baker Banerjee Bauer Brown Campbell Chen Costa Cruz Diaz "
    "Dubois Edwards Evans Fischer Garcia Gomez Gupta Haddad Hansen Hughes Ito Jensen Johnson "
    "Kaur Kim Kowalski Larsen Lee Lopez Martin Meyer Moreau Murphy Nguyen Novak O'Brien Okafor "
    "Patel Pereira Petrov Quinn Rahman Reyes Rossi Santos Schmidt Silva Singh Smith Suzuki "
    "Tanaka Taylor Torres Walker Wang Williams Wilson Yamamoto Young Zhang"
).split()

CITIES = (
    "Lisbon Lyon Manchester Rotterdam Hamburg Dublin Seville Turin Krakow Gothenburg Antwerp "
    "Porto Leeds Munich Valencia Bordeaux Glasgow Utrecht Milan Vienna"
).split()
DEPARTMENTS = (
    "Customer Care",
    "Retail",
    "Operations",
    "Logistics",
    "Field Service",
    "Sales",
    "Support",
    "Hospitality",
    "Facilities",
    "Finance",
)


def person_names(*, rng: random.Random, count: int) -> list[str]:
    """`count` plausible full names; repeats get a middle initial so every name is distinct."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name in seen:
            name = f"{name.split()[0]} {chr(65 + len(names) % 26)}. {name.split()[1]}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def email_local(name: str) -> str:
    """'Laila O'Brien' -> 'laila.obrien'."""
    return ".".join("".join(c for c in part.lower() if c.isalnum()) for part in name.split())
