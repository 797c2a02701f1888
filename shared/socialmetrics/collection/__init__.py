"""Collection: who is due (planning), collecting one account, and storing what came back."""
