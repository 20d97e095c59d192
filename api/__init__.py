"""The HTTP API and feeds: views, serializers, filters, pagination, conditional requests,
renderers, the error shape, the feed projection, ClaimReview and Atom. No models; depends on
`claims` and `reviews`, and only tracker/urls.py depends on it."""
