"""Portal pages of apps, under /t/<slug>/apps/ (see apps.urls)."""
