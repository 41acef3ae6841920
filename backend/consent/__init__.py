"""Enterprise consent: authorisations to institutions, and the trail of every access."""
