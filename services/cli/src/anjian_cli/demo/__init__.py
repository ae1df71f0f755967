"""`anjian demo`: a simulated November of hazard supervision in Kunming, checked against the DB."""
