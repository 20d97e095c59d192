from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The readers' site: a server-rendered page per published fact-check, the index, sitemap and robots.txt.

    It sits above claims/ and reviews/ beside api/, and reads through api/'s projection and ClaimReview
    builder (public imports api; api never imports public).
    """

    name = "public"
    verbose_name = "Public site"
