"""The dispatch board: a day, its live poll, the map, drops and the job panel."""

from django.urls import path

from board import views

urlpatterns = [
    path("board/", views.board_today, name="board_today"),
    path("board/<isodate:day>/", views.board_day, name="board_day"),
    path("board/<isodate:day>/poll/", views.board_poll, name="board_poll"),
    path("board/<isodate:day>/map.json", views.board_map, name="board_map"),
    path("board/<isodate:day>/assign/", views.board_assign_view, name="board_assign"),
    path("board/<isodate:day>/unassign/", views.board_unassign_view, name="board_unassign"),
    path("board/<isodate:day>/jobs/<int:pk>/", views.board_job, name="board_job"),
    path("board/<isodate:day>/jobs/<int:pk>/card/", views.board_card, name="board_card"),
]
