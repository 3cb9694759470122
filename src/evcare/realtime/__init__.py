"""Live events over socket.io: rooms per user, operator and session, fanned out across nodes."""
