"""The texts a new site starts with (version 1 of each), in English and French.

Words in braces are filled in from the configuration when a page is shown (LEGAL_* settings):
{operator}, {address}, {contact}, {director}, {registration}, {hosting}, {invoice_years}. Operators
replace these texts from the console; a lawyer should read them before a site opens.
"""
from __future__ import annotations

TERMS_EN = """# Terms of use

These terms govern the use of Tirage, run by {operator} ({address}). By creating an account you accept them.

## What Tirage is
Tirage is a community where members submit T-shirt designs, vote on the designs of the month, and buy the winners, printed as numbered limited editions that are never restocked.

## Your account
- You must be at least 15 years old, give a real email address and keep your password to yourself.
- One person, one account: several accounts to vote more than once are not allowed, and their votes are voided.
- You can download your data or delete your account at any time from your settings.

## Votes and comments
- One vote per design and per member, from 1 to 5, changeable until the round closes; you cannot vote on your own design.
- The ranking formula is published on the site and anyone can recompute a round's results from its votes.
- Be kind in comments. Operators may hide a comment that is abusive, unlawful or off topic, and suspend an account that breaks these terms.

## Designs
- You only submit work that is yours. The contest licence, shown when you submit, says what rights you grant if your design wins and what you receive.
- Operators review every design and may refuse one, with a reason.

## Buying
- Prices include VAT. A paid order is shipped to the address you give at checkout.
- As a consumer in the European Union you may withdraw within 14 days of receiving your shirt, unless it was personalised for you.
- A limited edition is never reprinted beyond its announced size.

## Liability and changes
{operator} does its best to keep the site available and correct, but cannot guarantee that it never fails. When these terms change, you are told and asked to accept the new version before you act on the site again.

## Contact and disputes
Write to {contact}. These terms are governed by French law; as a consumer you may also use a mediator or the courts of your place of residence.
"""

TERMS_FR = """# Conditions d'utilisation

Ces conditions régissent l'utilisation de Tirage, exploité par {operator} ({address}). En créant un compte, vous les acceptez.

## Ce qu'est Tirage
Tirage est une communauté où les membres proposent des motifs de T-shirts, votent pour les motifs du mois et achètent les gagnants, imprimés en éditions limitées numérotées, jamais réimprimées.

## Votre compte
- Vous devez avoir au moins 15 ans, donner une adresse e-mail réelle et garder votre mot de passe pour vous.
- Une personne, un compte : plusieurs comptes pour voter plusieurs fois sont interdits, et leurs votes sont annulés.
- Vous pouvez à tout moment télécharger vos données ou supprimer votre compte depuis vos réglages.

## Votes et commentaires
- Un vote par motif et par membre, de 1 à 5, modifiable jusqu'à la clôture ; vous ne pouvez pas voter pour votre propre motif.
- La formule du classement est publiée sur le site et chacun peut recalculer les résultats d'un mois à partir de ses votes.
- Restez bienveillant dans les commentaires. Les opérateurs peuvent masquer un commentaire injurieux, illicite ou hors sujet, et suspendre un compte qui enfreint ces conditions.

## Motifs
- Vous ne proposez que votre propre travail. La licence du concours, affichée lors de l'envoi, précise les droits que vous cédez si votre motif gagne et ce que vous recevez.
- Les opérateurs examinent chaque motif et peuvent le refuser, en donnant une raison.

## Achats
- Les prix sont TTC. Une commande payée est expédiée à l'adresse donnée lors du paiement.
- En tant que consommateur dans l'Union européenne, vous disposez d'un délai de rétractation de 14 jours à compter de la réception, sauf pour un article personnalisé.
- Une édition limitée n'est jamais réimprimée au-delà du tirage annoncé.

## Responsabilité et modifications
{operator} fait de son mieux pour que le site soit disponible et exact, sans pouvoir garantir qu'il ne connaisse jamais de panne. Quand ces conditions changent, vous en êtes informé et invité à accepter la nouvelle version avant d'agir à nouveau sur le site.

## Contact et litiges
Écrivez à {contact}. Ces conditions sont soumises au droit français ; en tant que consommateur, vous pouvez aussi recourir à un médiateur ou aux tribunaux de votre lieu de résidence.
"""

PRIVACY_EN = """# Privacy notice

{operator} ({address}) is the controller of the personal data processed by Tirage. Contact: {contact}.

## What we keep, and why
- **Your account** (email, display name, password hash, language, profile): to run your account (the contract).
- **Your designs, votes and comments**: to run the monthly contest (the contract). Votes are published without your name, under a pseudonym, so that anyone can check the results.
- **Your orders** (name, shipping address, what you bought, payments and refunds): to deliver and invoice them (the contract and our legal obligations). Payments are handled by Stripe; we never see your card.
- **Your earnings** as a designer (ledger, payouts, payout account): to pay you (the contract and our accounting obligations).
- **Your acceptance** of these texts, and a log of the operators' actions that concern you: to prove what was agreed and done (our legitimate interest).

## How long
- Your account, as long as it exists. When you delete it, your name, email, password, profile, payout details and follows are erased at once.
- Your votes stay, attached to an anonymous placeholder, so that published results can still be recomputed.
- Orders, invoices and the designers' ledger are kept {invoice_years} years, as French accounting law requires (Code de commerce, art. L123-22); the name and address on an order are then erased, and are kept until an order not yet shipped has been shipped.

## Who sees it
Operators of Tirage; Stripe (payments and payouts); our hosting provider ({hosting}); the mail service that sends our emails. We never sell your data.

## Your rights
You may access, correct, download (portability) and erase your data, object to a processing or ask to restrict it. Download your data or delete your account yourself from your settings; for anything else write to {contact}. You may also complain to the CNIL (www.cnil.fr) or the data protection authority of your country.

## Cookies
Tirage only sets the cookies it needs to work (your session, your language, your cart). No advertising or tracking cookies.
"""

PRIVACY_FR = """# Politique de confidentialité

{operator} ({address}) est responsable des données personnelles traitées par Tirage. Contact : {contact}.

## Ce que nous conservons, et pourquoi
- **Votre compte** (e-mail, nom affiché, empreinte du mot de passe, langue, profil) : pour faire fonctionner votre compte (le contrat).
- **Vos motifs, votes et commentaires** : pour organiser le concours mensuel (le contrat). Les votes sont publiés sans votre nom, sous un pseudonyme, pour que chacun puisse vérifier les résultats.
- **Vos commandes** (nom, adresse de livraison, articles, paiements et remboursements) : pour les livrer et les facturer (le contrat et nos obligations légales). Les paiements passent par Stripe ; nous ne voyons jamais votre carte.
- **Vos gains** de créateur (grand livre, versements, compte de versement) : pour vous payer (le contrat et nos obligations comptables).
- **Votre acceptation** de ces textes, et un journal des actions des opérateurs qui vous concernent : pour prouver ce qui a été convenu et fait (notre intérêt légitime).

## Pendant combien de temps
- Votre compte, tant qu'il existe. Quand vous le supprimez, votre nom, votre e-mail, votre mot de passe, votre profil, vos coordonnées de versement et vos abonnements sont effacés aussitôt.
- Vos votes restent, rattachés à un membre anonyme, pour que les résultats publiés puissent toujours être recalculés.
- Les commandes, factures et le grand livre des créateurs sont conservés {invoice_years} ans, comme l'exige le droit comptable français (Code de commerce, art. L123-22) ; le nom et l'adresse d'une commande sont alors effacés, et ils restent jusqu'à l'expédition d'une commande pas encore expédiée.

## Qui y a accès
Les opérateurs de Tirage ; Stripe (paiements et versements) ; notre hébergeur ({hosting}) ; le service qui envoie nos e-mails. Nous ne vendons jamais vos données.

## Vos droits
Vous pouvez accéder à vos données, les rectifier, les télécharger (portabilité) et les effacer, vous opposer à un traitement ou demander sa limitation. Téléchargez vos données ou supprimez votre compte vous-même depuis vos réglages ; pour le reste, écrivez à {contact}. Vous pouvez aussi saisir la CNIL (www.cnil.fr) ou l'autorité de protection des données de votre pays.

## Cookies
Tirage ne dépose que les cookies nécessaires à son fonctionnement (votre session, votre langue, votre panier). Aucun cookie publicitaire ni de suivi.
"""

NOTICE_EN = """# Legal notice

## Publisher
{operator}
{address}
{registration}
Contact: {contact}
Publication director: {director}

## Hosting
{hosting}

## Software
Tirage is open-source software. The designs shown belong to their designers; see the contest licence for the rights granted on winning designs.
"""

NOTICE_FR = """# Mentions légales

## Éditeur
{operator}
{address}
{registration}
Contact : {contact}
Directeur de la publication : {director}

## Hébergement
{hosting}

## Logiciel
Tirage est un logiciel libre. Les motifs présentés appartiennent à leurs créateurs ; voir la licence du concours pour les droits cédés sur les motifs gagnants.
"""

DEFAULTS = {
    "terms": (TERMS_EN, TERMS_FR),
    "privacy": (PRIVACY_EN, PRIVACY_FR),
    "notice": (NOTICE_EN, NOTICE_FR),
}
