"""URLs of the optimizer's plan runs on the board (filled in by the planning work)."""

urlpatterns: list = []
