"""Stop words of the ``snowball`` analyzer: the function words of English and Russian
(after the Snowball project's lists, shortened), left out of the index and of queries.

"другой" is left out of the Russian list: its stem is that of "друг" (a friend).

Without them a question's "how", "what", "is", "the", "как", "ли" match best in the
longest documents (a FAQ asks every question in those words), and the document that
holds the answer ranks below it.
"""

from __future__ import annotations

import re

_ENGLISH = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is
it its itself just me more most my myself no nor not now of off on once only or other our
ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we
were what when where which while who whom why will with would you your yours yourself
yourselves s t don u ll re ve d m o y
"""

_RUSSIAN = """
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее
мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть
был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть
надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда
кто этот того потому этого какой совсем ним здесь этом почти мой тем чтобы нее сейчас
были куда зачем всех никогда можно при наконец об хоть после над тот
через эти нас про всего них какая много разве эту моя впрочем свою этой перед
иногда чуть том нельзя такой им всегда конечно всю между
"""

ENGLISH: tuple[str, ...] = tuple(re.findall(r"\S+", _ENGLISH))
RUSSIAN: tuple[str, ...] = tuple(re.findall(r"\S+", _RUSSIAN))
