"""The lobby display: who is called to which counter, and how long each queue is."""
