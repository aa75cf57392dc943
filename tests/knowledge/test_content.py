"""The knowledge base that the migration loads: complete, exact slugs, every muscle cited."""

import pytest

from knowledge.models import Factor, Muscle, RedFlag, Referral, Zone

pytestmark = pytest.mark.django_db

# The controlled vocabulary of domain.md: slugs never change once shipped.
ZONES = """low-back sacroiliac sacrum coccyx iliac-crest lower-abdomen groin genitals deep-pelvis
buttock lower-buttock lateral-hip anterior-hip anterior-thigh lateral-thigh medial-thigh
posterior-thigh anterior-knee medial-knee lateral-knee posterior-knee shin lateral-leg calf
medial-calf anterior-ankle lateral-ankle medial-ankle achilles posterior-heel plantar-heel
medial-heel lateral-heel arch sole ball-of-foot dorsum-of-foot lateral-foot big-toe
plantar-big-toe lesser-toes plantar-lesser-toes""".split()

FACTORS = {
    "activity": """running hill-running-walking uneven-or-soft-ground pivoting-sports
        sprinting-jumping kicking cycling horseback-riding skiing-skating swimming dancing
        squats-lunges stair-climbing lifting-bending situps-leg-raises prolonged-sitting
        chair-edge-pressure cross-legged-sitting long-driving prolonged-standing""",
    "footwear": """high-heels tight-shoes worn-out-shoes flip-flops stiff-soled-shoes
        no-arch-support tight-socks""",
    "injury": """fall direct-blow motor-vehicle-accident fracture muscle-tear-strain ankle-sprain
        stumble-misstep cast-immobilisation limping thigh-buttock-injections knee-surgery
        hip-surgery abdominal-surgery toe-injury""",
    "structural": """foot-pronation morton-foot leg-length-inequality small-hemipelvis
        hip-joint-problems stiff-big-toe excess-weight""",
    "habit": """overstretching sustained-pressure sleeping-pointed-feet cold-exposure
        emotional-stress""",
    "condition": """plantar-fasciitis heel-spur achilles-tendinitis shin-splints
        patellofemoral-pain knee-osteoarthritis meniscus-tear cruciate-ligament-injury sciatica
        trochanteric-bursitis hip-osteoarthritis hammer-claw-toes bunion sacroiliac-dysfunction
        tendinitis""",
    "symptom": """sleep-disturbed knee-buckling tripping-foot-drag weak-ankle night-cramps
        numbness-tingling joint-stiffness first-steps-pain pain-walking pain-stairs pain-sitting
        pain-rising ankle-foot-swelling kneecap-stuck walking-eases-pain heel-weight-bearing-pain
        pain-crossing-legs cough-sneeze-pain worse-standing-upright fainting-low-blood-pressure""",
}

RED_FLAGS = {
    "calf-swelling-redness-warmth": "refer",
    "recent-surgery-immobilisation": "caution",
    "clot-history": "caution",
    "anticoagulants": "caution",
    "fever-unwell": "refer",
    "hot-swollen-joint": "refer",
    "trauma-cannot-bear-weight": "refer",
    "saddle-numbness-bladder-bowel": "refer",
    "progressive-weakness": "refer",
    "pain-walking-relieved-by-rest": "refer",
    "cancer-history-night-pain": "refer",
    "diabetes-neuropathy": "caution",
    "varicose-veins": "local",
    "pregnancy": "caution",
    "skin-wound-infection": "local",
}

MUSCLES = """quadratus-lumborum iliopsoas rectus-abdominis external-oblique gluteus-maximus
gluteus-medius gluteus-minimus piriformis tensor-fasciae-latae sartorius pectineus rectus-femoris
vastus-medialis vastus-intermedius vastus-lateralis adductor-longus adductor-brevis
adductor-magnus gracilis biceps-femoris semitendinosus-semimembranosus popliteus
tibialis-anterior fibularis-longus fibularis-brevis fibularis-tertius gastrocnemius plantaris
soleus tibialis-posterior extensor-digitorum-longus extensor-hallucis-longus
flexor-digitorum-longus flexor-hallucis-longus extensor-digitorum-brevis abductor-hallucis
flexor-digitorum-brevis abductor-digiti-minimi quadratus-plantae flexor-hallucis-brevis
adductor-hallucis interossei""".split()


def test_the_42_zones_are_there_with_their_exact_slugs():
    assert len(ZONES) == 42
    assert sorted(Zone.objects.values_list("slug", flat=True)) == sorted(ZONES)


def test_every_zone_sits_on_a_view_of_the_body_map():
    assert not Zone.objects.exclude(view__in=["front", "back", "sole"]).exists()


def test_every_factor_is_there_with_its_kind():
    stored = dict(Factor.objects.values_list("slug", "kind"))
    expected = {slug: kind for kind, slugs in FACTORS.items() for slug in slugs.split()}
    assert stored == expected


def test_every_red_flag_is_there_with_its_level_and_a_message():
    assert dict(RedFlag.objects.values_list("slug", "level")) == RED_FLAGS
    assert not RedFlag.objects.filter(message="").exists()
    assert not RedFlag.objects.filter(question="").exists()


def test_the_42_muscles_are_there_with_their_exact_slugs():
    assert len(MUSCLES) == 42
    assert sorted(Muscle.objects.values_list("slug", flat=True)) == sorted(MUSCLES)


@pytest.mark.parametrize("slug", MUSCLES)
def test_every_muscle_has_a_trigger_point_an_essential_zone_and_a_cited_source(slug):
    muscle = Muscle.objects.get(slug=slug)
    assert muscle.trigger_points.exists()
    assert Referral.objects.filter(
        trigger_point__muscle=muscle, kind=Referral.Kind.ESSENTIAL
    ).exists()
    assert muscle.sources.exists()
    assert muscle.ts_ref
    assert muscle.description and muscle.locating and muscle.self_care
    assert all(link.source_id for link in muscle.factor_links.all())


def test_what_the_facts_mark_unverified_is_marked_here_too():
    soleus = Muscle.objects.get(slug="soleus")
    fainting = soleus.factor_links.get(factor__slug="fainting-low-blood-pressure")
    assert fainting.weight <= 0.3
    assert "unverified" in Muscle.objects.get(slug="popliteus").confidence_note.lower()


def test_well_known_referrals_are_recorded():
    def essential(muscle):
        return set(
            Referral.objects.filter(
                trigger_point__muscle__slug=muscle, kind=Referral.Kind.ESSENTIAL
            ).values_list("zone__slug", flat=True)
        )

    assert "plantar-heel" in essential("soleus") or "posterior-heel" in essential("soleus")
    assert "anterior-knee" in essential("rectus-femoris")
    assert "posterior-knee" in essential("popliteus")


def test_loading_the_files_again_changes_nothing():
    from knowledge.loader import load_knowledge

    before = Referral.objects.count(), Muscle.objects.count()
    load_knowledge()
    assert (Referral.objects.count(), Muscle.objects.count()) == before


def test_a_data_file_with_an_unknown_zone_is_refused(tmp_path):
    import shutil

    from knowledge.loader import DATA_DIR, KnowledgeDataError, load_knowledge

    for path in DATA_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    broken = tmp_path / "muscles_leg_foot.yaml"
    broken.write_text(
        broken.read_text().replace("essential: [posterior-knee]", "essential: [elbow]", 1)
    )
    with pytest.raises(KnowledgeDataError, match="unknown zone 'elbow'"):
        load_knowledge(data_dir=tmp_path)
