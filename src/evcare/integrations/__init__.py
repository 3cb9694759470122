"""Partner integrations: clients and their credentials, bundles, allowlists, federated
sign-in (external subjects, session codes) and the go-live checklist."""
