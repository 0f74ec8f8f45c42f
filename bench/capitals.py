"""Labelled questions with one known answer word: the capitals of 100 countries."""

from __future__ import annotations

CAPITALS: tuple[tuple[str, str], ...] = (
    ("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Germany", "Berlin"),
    ("Spain", "Madrid"), ("Egypt", "Cairo"), ("Canada", "Ottawa"), ("Russia", "Moscow"),
    ("China", "Beijing"), ("England", "London"), ("Portugal", "Lisbon"), ("Greece", "Athens"),
    ("Austria", "Vienna"), ("Poland", "Warsaw"), ("Hungary", "Budapest"), ("Ireland", "Dublin"),
    ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"),
    ("Belgium", "Brussels"), ("the Netherlands", "Amsterdam"), ("Switzerland", "Bern"),
    ("the Czech Republic", "Prague"), ("Slovakia", "Bratislava"), ("Romania", "Bucharest"),
    ("Bulgaria", "Sofia"), ("Serbia", "Belgrade"), ("Croatia", "Zagreb"), ("Slovenia", "Ljubljana"),
    ("Ukraine", "Kyiv"), ("Belarus", "Minsk"), ("Lithuania", "Vilnius"), ("Latvia", "Riga"),
    ("Estonia", "Tallinn"), ("Iceland", "Reykjavik"), ("Turkey", "Ankara"), ("Iran", "Tehran"),
    ("Iraq", "Baghdad"), ("Syria", "Damascus"), ("Lebanon", "Beirut"), ("Jordan", "Amman"),
    ("Saudi Arabia", "Riyadh"), ("Qatar", "Doha"), ("Afghanistan", "Kabul"), ("Pakistan", "Islamabad"),
    ("India", "Delhi"), ("Nepal", "Kathmandu"), ("Bangladesh", "Dhaka"), ("Thailand", "Bangkok"),
    ("Vietnam", "Hanoi"), ("Cambodia", "Phnom"), ("Laos", "Vientiane"), ("Malaysia", "Kuala"),
    ("Indonesia", "Jakarta"), ("the Philippines", "Manila"), ("South Korea", "Seoul"),
    ("North Korea", "Pyongyang"), ("Mongolia", "Ulaanbaatar"), ("Taiwan", "Taipei"),
    ("Australia", "Canberra"), ("New Zealand", "Wellington"), ("Fiji", "Suva"), ("Kenya", "Nairobi"),
    ("Ethiopia", "Addis"), ("Nigeria", "Abuja"), ("Ghana", "Accra"), ("Senegal", "Dakar"),
    ("Morocco", "Rabat"), ("Algeria", "Algiers"), ("Tunisia", "Tunis"), ("Libya", "Tripoli"),
    ("Sudan", "Khartoum"), ("Uganda", "Kampala"), ("Tanzania", "Dodoma"), ("Zimbabwe", "Harare"),
    ("Zambia", "Lusaka"), ("Angola", "Luanda"), ("Mali", "Bamako"), ("Somalia", "Mogadishu"),
    ("Rwanda", "Kigali"), ("Madagascar", "Antananarivo"), ("Mexico", "Mexico City"),
    ("Cuba", "Havana"), ("Jamaica", "Kingston"), ("Peru", "Lima"), ("Chile", "Santiago"),
    ("Argentina", "Buenos Aires"), ("Colombia", "Bogota"), ("Venezuela", "Caracas"),
    ("Ecuador", "Quito"), ("Bolivia", "La Paz"), ("Uruguay", "Montevideo"), ("Paraguay", "Asuncion"),
    ("Brazil", "Brasilia"), ("the United States", "Washington"), ("Panama", "Panama"),
    ("Nicaragua", "Managua"), ("Honduras", "Tegucigalpa"), ("Costa Rica", "San Jose"),
)  # fmt: skip


def question(country: str) -> str:
    return f"What is the capital of {country}? Answer with the city name only."


def correct(answer: str | None, expected: str) -> bool:
    """The answer names the expected city (accents ignored: the model may write Brasília or Bogotá)."""
    import unicodedata

    def fold(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()

    return answer is not None and fold(expected) in fold(answer)
