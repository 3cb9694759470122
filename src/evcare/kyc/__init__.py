"""KYC: a user's identity documents, encrypted, reviewed by admins (EV-CMS section 15)."""
