"""The template library: ready-made surveys an author can start from.

Each template is plain data in the shape `survey_create(questions=...)` takes, so a template is
created by the same validated path as a survey typed in by hand. A question's `condition_question`
is the 0-based position of an earlier question in the same list. Wording is ours; every template
carries a French translation of its title, intro and questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from surveys.models import Driver, QuestionType, SurveyKind


@dataclass(frozen=True)
class Template:
    key: str
    kind: str
    title: str
    description: str
    intro: str
    questions: list[dict]
    translations: dict = field(default_factory=dict)
    thank_you: str = "Thank you for your feedback."
    anonymous: bool = True

    @property
    def kind_label(self) -> str:
        return SurveyKind(self.kind).label


def _q(
    type: str,
    text: str,
    fr: str,
    *,
    driver: str = "",
    required: bool = True,
    is_outcome: bool = False,
    choices: tuple[str, ...] = (),
    fr_choices: tuple[str, ...] = (),
    condition: tuple[int, str, object] | None = None,
) -> dict:
    fr_translation: dict = {"text": fr}
    if fr_choices:
        fr_translation["choices"] = list(fr_choices)
    question = {
        "type": type,
        "text": text,
        "required": required,
        "driver": driver,
        "is_outcome": is_outcome,
        "choices": list(choices),
        "translations": {"fr": fr_translation},
    }
    if condition is not None:
        question["condition_question"], question["condition_op"], question["condition_value"] = (
            condition
        )
    return question


NPS, LIKERT, CSAT, CES = QuestionType.NPS, QuestionType.LIKERT, QuestionType.CSAT, QuestionType.CES
SINGLE, MULTI, TEXT = QuestionType.SINGLE, QuestionType.MULTI, QuestionType.TEXT
D = Driver

ENPS_QUESTION = _q(
    NPS,
    "How likely are you to recommend working here to a friend?",
    "Quelle est la probabilité que vous recommandiez notre entreprise à un ami comme employeur ?",
    is_outcome=True,
)

ENPS_PULSE = Template(
    key="enps_pulse",
    kind=SurveyKind.EX,
    title="eNPS pulse",
    description="Four questions, two minutes: the eNPS score plus two drivers and one open idea.",
    intro="A two-minute check on how working here feels right now. Your answers are anonymous.",
    questions=[
        ENPS_QUESTION,
        _q(
            LIKERT,
            "When I do good work, someone notices.",
            "Quand je fais du bon travail, quelqu'un le remarque.",
            driver=D.RECOGNITION,
        ),
        _q(
            LIKERT,
            "I have what I need to do my job well.",
            "J'ai ce qu'il me faut pour bien faire mon travail.",
            driver=D.TOOLS,
        ),
        _q(
            TEXT,
            "What one thing would make work better for you next month?",
            "Quelle chose rendrait votre travail meilleur le mois prochain ?",
            required=False,
        ),
    ],
    translations={
        "fr": {
            "title": "Pouls eNPS",
            "intro": "Deux minutes pour dire comment vous vivez le travail en ce moment. "
            "Vos réponses sont anonymes.",
            "thank_you": "Merci pour votre retour.",
        }
    },
)

ENGAGEMENT = Template(
    key="engagement",
    kind=SurveyKind.EX,
    title="Engagement survey",
    description="Fourteen agreement items across ten drivers, eNPS as the outcome, one open "
    "question.",
    intro="About ten minutes. We read every answer and share what we learn with each team. "
    "Your answers are anonymous and only shown for groups large enough to protect you.",
    questions=[
        _q(
            LIKERT,
            "I am proud to tell people where I work.",
            "Je suis fier ou fière de dire où je travaille.",
            driver=D.ENGAGEMENT,
        ),
        _q(
            LIKERT,
            "Most days I feel motivated to go beyond what is asked of me.",
            "La plupart des jours, j'ai envie d'aller au-delà de ce qu'on me demande.",
            driver=D.ENGAGEMENT,
        ),
        _q(
            LIKERT,
            "I see myself still working here in two years.",
            "Je me vois encore travailler ici dans deux ans.",
            driver=D.ENGAGEMENT,
        ),
        _q(
            LIKERT,
            "When I do good work, someone notices.",
            "Quand je fais du bon travail, quelqu'un le remarque.",
            driver=D.RECOGNITION,
        ),
        _q(
            LIKERT,
            "In the last six months someone has talked with me about how I can grow.",
            "Au cours des six derniers mois, quelqu'un a parlé avec moi de mon évolution.",
            driver=D.GROWTH,
        ),
        _q(
            LIKERT,
            "I can see a realistic next step for my career here.",
            "Je vois une prochaine étape réaliste pour ma carrière ici.",
            driver=D.GROWTH,
        ),
        _q(
            LIKERT,
            "My manager gives me feedback that helps me improve.",
            "Mon responsable me fait des retours qui m'aident à progresser.",
            driver=D.MANAGER_SUPPORT,
        ),
        _q(
            LIKERT,
            "My manager cares about me as a person.",
            "Mon responsable se soucie de moi en tant que personne.",
            driver=D.MANAGER_SUPPORT,
        ),
        _q(
            LIKERT,
            "I have the tools and information I need to do my job well.",
            "J'ai les outils et les informations nécessaires pour bien faire mon travail.",
            driver=D.TOOLS,
        ),
        _q(
            LIKERT,
            "My workload is manageable in a normal week.",
            "Ma charge de travail est gérable pendant une semaine normale.",
            driver=D.WORKLOAD,
        ),
        _q(
            LIKERT,
            "I can switch off from work when my day is done.",
            "Je peux décrocher du travail une fois ma journée terminée.",
            driver=D.WELLBEING,
        ),
        _q(
            LIKERT,
            "I understand how my work makes a difference for our customers.",
            "Je comprends en quoi mon travail compte pour nos clients.",
            driver=D.PURPOSE,
        ),
        _q(
            LIKERT,
            "People in my team step in to help each other.",
            "Dans mon équipe, on s'entraide spontanément.",
            driver=D.TEAMWORK,
        ),
        _q(
            LIKERT,
            "I hear about changes that affect me before they happen.",
            "J'entends parler des changements qui me concernent avant qu'ils n'arrivent.",
            driver=D.COMMUNICATION,
        ),
        ENPS_QUESTION,
        _q(
            TEXT,
            "What is one thing we should start, stop or keep doing?",
            "Qu'est-ce que nous devrions commencer, arrêter ou continuer à faire ?",
            required=False,
        ),
    ],
    translations={
        "fr": {
            "title": "Enquête d'engagement",
            "intro": "Environ dix minutes. Nous lisons chaque réponse et partageons ce que nous "
            "apprenons avec chaque équipe. Vos réponses sont anonymes.",
            "thank_you": "Merci pour votre retour.",
        }
    },
)

FEELINGS = ("Great", "Okay", "Stretched", "Struggling")
FEELINGS_FR = ("Très bien", "Correct", "Sous pression", "En difficulté")

WELLBEING = Template(
    key="wellbeing",
    kind=SurveyKind.EX,
    title="Wellbeing check-in",
    description="A short weekly check on energy, workload and support.",
    intro="How has this week been? Three minutes, anonymous.",
    questions=[
        _q(
            SINGLE,
            "How are you feeling about work this week?",
            "Comment vous sentez-vous au travail cette semaine ?",
            choices=FEELINGS,
            fr_choices=FEELINGS_FR,
        ),
        _q(
            LIKERT,
            "I have had enough energy for my work this week.",
            "J'ai eu assez d'énergie pour mon travail cette semaine.",
            driver=D.WELLBEING,
        ),
        _q(
            LIKERT,
            "I was able to take proper breaks.",
            "J'ai pu prendre de vraies pauses.",
            driver=D.WELLBEING,
        ),
        _q(
            LIKERT,
            "My workload this week was manageable.",
            "Ma charge de travail cette semaine était gérable.",
            driver=D.WORKLOAD,
        ),
        _q(
            LIKERT,
            "If I were struggling, I know who at work I could talk to.",
            "Si j'étais en difficulté, je saurais à qui parler au travail.",
            driver=D.MANAGER_SUPPORT,
        ),
        _q(
            TEXT,
            "Is there anything you would like us to know?",
            "Y a-t-il quelque chose que vous aimeriez nous dire ?",
            required=False,
        ),
    ],
    translations={
        "fr": {
            "title": "Point bien-être",
            "intro": "Comment s'est passée votre semaine ? Trois minutes, anonyme.",
            "thank_you": "Merci, prenez soin de vous.",
        }
    },
)

OBSTACLES = (
    "Slow or broken systems",
    "Rules and approvals",
    "Not enough people on shift",
    "Missing information or training",
    "Hand-offs between teams",
    "Something else",
)
OBSTACLES_FR = (
    "Systèmes lents ou en panne",
    "Règles et validations",
    "Pas assez de monde en poste",
    "Informations ou formation manquantes",
    "Passages de relais entre équipes",
    "Autre chose",
)

FRONTLINE = Template(
    key="frontline_voice",
    kind=SurveyKind.EX,
    title="Frontline voice: what gets in the way of serving customers",
    description="Asks the people who serve customers what slows them down, and what would fix it.",
    intro="You see our customers every day. Tell us what makes serving them harder than it "
    "should be. Anonymous; about four minutes.",
    questions=[
        _q(
            LIKERT,
            "I can solve most customer problems without having to ask permission.",
            "Je peux résoudre la plupart des problèmes des clients sans demander d'autorisation.",
            driver=D.CUSTOMER_FOCUS,
        ),
        _q(
            LIKERT,
            "Our systems let me help customers quickly.",
            "Nos systèmes me permettent d'aider les clients rapidement.",
            driver=D.TOOLS,
        ),
        _q(
            LIKERT,
            "I am proud of the service our customers get from my team.",
            "Je suis fier ou fière du service que mon équipe offre à nos clients.",
            driver=D.SERVICE,
        ),
        _q(
            MULTI,
            "What most often gets in the way of serving customers well?",
            "Qu'est-ce qui vous empêche le plus souvent de bien servir les clients ?",
            choices=OBSTACLES,
            fr_choices=OBSTACLES_FR,
        ),
        _q(
            TEXT,
            "Describe one thing that got in your way recently, and what would fix it.",
            "Décrivez une chose qui vous a gêné récemment, et ce qui permettrait d'y remédier.",
            required=False,
        ),
    ],
    translations={
        "fr": {
            "title": "La voix du terrain : ce qui freine le service client",
            "intro": "Vous voyez nos clients tous les jours. Dites-nous ce qui rend leur service "
            "plus difficile qu'il ne devrait l'être. Anonyme ; environ quatre minutes.",
            "thank_you": "Merci, nous lisons chaque réponse.",
        }
    },
)

CSAT_POST = Template(
    key="csat_post_interaction",
    kind=SurveyKind.CX,
    title="CSAT after an interaction",
    description="One satisfaction rating; a low score asks what went wrong.",
    intro="Thanks for getting in touch. One quick question about the help you just received.",
    questions=[
        _q(
            CSAT,
            "How satisfied are you with the help you received today?",
            "Êtes-vous satisfait de l'aide que vous avez reçue aujourd'hui ?",
            driver=D.SERVICE,
        ),
        _q(
            TEXT,
            "We are sorry. What went wrong?",
            "Nous en sommes désolés. Qu'est-ce qui n'a pas fonctionné ?",
            required=False,
            condition=(0, "lte", 2),
        ),
        _q(
            TEXT,
            "Anything else you would like to tell us?",
            "Souhaitez-vous nous dire autre chose ?",
            required=False,
        ),
    ],
    translations={
        "fr": {
            "title": "Satisfaction après un échange",
            "intro": "Merci de nous avoir contactés. Une question rapide sur l'aide reçue.",
            "thank_you": "Merci pour votre avis.",
        }
    },
)

VALUES = ("Price", "Product quality", "Speed of service", "Friendly staff", "Ease of ordering")
VALUES_FR = (
    "Prix",
    "Qualité des produits",
    "Rapidité du service",
    "Accueil du personnel",
    "Facilité de commande",
)

NPS_RELATIONSHIP = Template(
    key="nps_relationship",
    kind=SurveyKind.CX,
    title="NPS relationship survey",
    description="The Net Promoter question, the reason behind it, and what customers value.",
    intro="You have been with us for a while. How are we doing overall?",
    questions=[
        _q(
            NPS,
            "How likely are you to recommend us to a friend or colleague?",
            "Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue ?",
            is_outcome=True,
        ),
        _q(
            TEXT,
            "What is the main reason for your score?",
            "Quelle est la principale raison de votre note ?",
            required=False,
        ),
        _q(
            MULTI,
            "Which of these matter most to you?",
            "Lesquels de ces points comptent le plus pour vous ?",
            required=False,
            choices=VALUES,
            fr_choices=VALUES_FR,
        ),
    ],
    translations={
        "fr": {
            "title": "Enquête de recommandation (NPS)",
            "intro": "Vous êtes client depuis un moment. Comment nous en sortons-nous ?",
            "thank_you": "Merci pour votre avis.",
        }
    },
)

CONTACTS = ("Once", "Twice", "Three times or more")
CONTACTS_FR = ("Une fois", "Deux fois", "Trois fois ou plus")

CES_SUPPORT = Template(
    key="ces_support",
    kind=SurveyKind.CX,
    title="Customer effort after support",
    description="How easy it was to get an issue solved; a hard experience asks what to simplify.",
    intro="We want getting help to be easy. Tell us how it went.",
    questions=[
        _q(
            CES,
            "How easy was it to get your issue resolved?",
            "Dans quelle mesure a-t-il été facile de résoudre votre problème ?",
            driver=D.SERVICE,
        ),
        _q(
            SINGLE,
            "How many times did you contact us about this issue?",
            "Combien de fois nous avez-vous contactés pour ce problème ?",
            choices=CONTACTS,
            fr_choices=CONTACTS_FR,
        ),
        _q(
            TEXT,
            "What could we have made easier?",
            "Qu'aurions-nous pu rendre plus simple ?",
            required=False,
            condition=(0, "lte", 3),
        ),
    ],
    translations={
        "fr": {
            "title": "Effort client après le support",
            "intro": "Nous voulons qu'obtenir de l'aide soit simple. Dites-nous comment cela "
            "s'est passé.",
            "thank_you": "Merci pour votre avis.",
        }
    },
)

TEMPLATES: dict[str, Template] = {
    t.key: t
    for t in (
        ENPS_PULSE,
        ENGAGEMENT,
        WELLBEING,
        FRONTLINE,
        CSAT_POST,
        NPS_RELATIONSHIP,
        CES_SUPPORT,
    )
}


def template_get(key: str) -> Template | None:
    return TEMPLATES.get(key)


def templates_for_kinds(kinds: list[str]) -> list[Template]:
    return [t for t in TEMPLATES.values() if t.kind in kinds]
