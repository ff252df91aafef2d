"""Steps that span apps, one floor above the domain apps: each calls the apps'
own services inside one transaction, so the apps never import each other."""
