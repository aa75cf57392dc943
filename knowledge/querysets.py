from django.db import models
from django.db.models import Prefetch, Q


class MuscleQuerySet(models.QuerySet):
    def with_referrals(self):
        """Muscles with their trigger points and each point's referral zones in three queries."""
        from knowledge.models import Referral, TriggerPoint

        return self.prefetch_related(
            Prefetch(
                "trigger_points",
                queryset=TriggerPoint.objects.prefetch_related(
                    Prefetch("referrals", queryset=Referral.objects.select_related("zone"))
                ),
            )
        )

    def referring_to(self, zone_slug: str):
        return self.filter(trigger_points__referrals__zone__slug=zone_slug).distinct()

    def search(self, query: str):
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(
            Q(name__icontains=query)
            | Q(other_names__icontains=query)
            | Q(slug__icontains=query.replace(" ", "-"))
        )
