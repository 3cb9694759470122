"""The developer hub page (``/developer-hub``, public): seed 000's content, the
documentation library rendered from the project's Markdown, and the questionnaire."""
