"""Portal pages, one module per topic; routes in ``paas.portal_urls``."""
